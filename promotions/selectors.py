"""Reads of promotions: the running automatic promotions and a voucher code's state as calculation
rules, and the promotions an order used (for the recomputation after picking)."""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from core.db import rows
from core.db.statements import statement_cursor
from promotions import calculation
from promotions.calculation import Rule, VoucherState
from promotions.models import Promotion, PromotionTarget, Redemption, Trigger, VoucherCode

_TARGETS = Prefetch("targets", queryset=PromotionTarget.objects.select_related("category"))


def normalized_code(code: str) -> str:
    return code.strip().upper()


def rule_of(promotion: Promotion, code: str = "") -> Rule:
    targets = list(promotion.targets.all())
    return Rule(
        id=promotion.pk,
        name=promotion.name,
        kind=promotion.kind,
        priority=promotion.priority,
        stackable=promotion.stackable,
        percent=promotion.percent,
        amount=promotion.amount,
        threshold=promotion.threshold,
        group_size=promotion.group_size,
        variant_ids=frozenset(t.variant_id for t in targets if t.variant_id),
        product_ids=frozenset(t.product_id for t in targets if t.product_id),
        category_paths=tuple(t.category.path for t in targets if t.category is not None),
        combinable=promotion.combinable,
        code=code,
    )


def running(now: datetime | None = None) -> QuerySet[Promotion]:
    now = now or timezone.now()
    return Promotion.objects.filter(is_active=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


_RUNNING_SQL: list[str] = []


def _running_sql() -> str:
    """`running(now).filter(trigger=automatic, currency=...)` in the model's order, written once:
    every cart price and placement asks, and compiling the ORM's query cost more than running it."""
    if not _RUNNING_SQL:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in Promotion._meta.concrete_fields)
        _RUNNING_SQL.append(
            f"SELECT {columns} FROM {quote(Promotion._meta.db_table)} "  # noqa: S608
            "WHERE is_active AND starts_at <= %s AND (ends_at IS NULL OR ends_at > %s) "
            "AND trigger = %s AND currency = %s ORDER BY priority DESC, id"
        )
    return _RUNNING_SQL[0]


def running_rules(currency: str, now: datetime | None = None) -> list[Rule]:
    """The automatic promotions running now in this currency (one query, two when there are any)."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":  # the embedded SQLite: the ORM binds its datetimes
        running_now = running(now).filter(trigger=Trigger.AUTOMATIC, currency=currency).prefetch_related(_TARGETS)
        return [rule_of(promotion) for promotion in running_now]
    cursor = statement_cursor()  # every cart price and placement asks: prepared once per connection
    cursor.execute(_running_sql(), [now, now, Trigger.AUTOMATIC.value, currency])
    found = cursor.fetchall()
    promotions = [promotion for row in found if (promotion := rows.Rows(row).take(Promotion)) is not None]
    prefetch_related_objects(promotions, _TARGETS)  # usually none running: no query then
    return [rule_of(promotion) for promotion in promotions]


def voucher_code(code: str) -> VoucherCode | None:
    return (
        VoucherCode.objects.select_related("promotion")
        .prefetch_related(Prefetch("promotion__targets", queryset=PromotionTarget.objects.select_related("category")))
        .filter(code=normalized_code(code), promotion__trigger=Trigger.VOUCHER)
        .first()
    )


def uses_by(promotion_id: int, customer_id: int) -> int:
    """The customer's uses of the promotion by orders that were not cancelled."""
    return Redemption.objects.filter(
        promotion_id=promotion_id, customer_id=customer_id, released_at__isnull=True
    ).count()


def voucher_state(code: str, *, customer_id: int | None, currency: str, now: datetime | None = None) -> VoucherState:
    """The code's rule and the reasons it does not apply that do not depend on the basket: its
    period, the limits, the currency. The basket's reasons are calculation.calculate's."""
    now = now or timezone.now()
    found = voucher_code(code)
    if found is None:
        return VoucherState(normalized_code(code), None, calculation.NOT_FOUND)
    promotion = found.promotion
    state = VoucherState(found.code, rule_of(promotion, found.code), code_id=found.pk)
    if not promotion.is_active or (promotion.ends_at is not None and promotion.ends_at <= now):
        state.reason = calculation.EXPIRED
    elif promotion.starts_at > now:
        state.reason = calculation.NOT_STARTED
    elif promotion.currency != currency:
        state.reason = calculation.WRONG_CURRENCY
    elif (promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit) or (
        found.max_uses is not None and found.times_used >= found.max_uses
    ):
        state.reason = calculation.USED_UP
    elif (
        promotion.per_customer_limit is not None
        and customer_id is not None
        and uses_by(promotion.pk, customer_id) >= promotion.per_customer_limit
    ):
        state.reason = calculation.CUSTOMER_LIMIT
    return state


def redeemed_rules(order_ref: str) -> tuple[list[Rule], VoucherState | None]:
    """The promotions a placed order used, as rules (whatever their period or limits now) and its
    voucher: what picking recomputes the discounts with."""
    redemptions = (
        Redemption.objects.filter(order_ref=order_ref, released_at__isnull=True)
        .select_related("promotion", "code")
        .prefetch_related(Prefetch("promotion__targets", queryset=PromotionTarget.objects.select_related("category")))
    )
    rules: list[Rule] = []
    voucher = None
    for redemption in redemptions:
        if redemption.code is not None:
            voucher = VoucherState(
                redemption.code.code, rule_of(redemption.promotion, redemption.code.code), code_id=redemption.code_id
            )
        else:
            rules.append(rule_of(redemption.promotion))
    return rules, voucher


def redemptions_of(order_ref: str) -> list[Redemption]:
    return list(Redemption.objects.filter(order_ref=order_ref).select_related("promotion", "code").order_by("pk"))


def codes_of(promotion_ids: Iterable[int]) -> QuerySet[VoucherCode]:
    return VoucherCode.objects.filter(promotion_id__in=list(promotion_ids))
