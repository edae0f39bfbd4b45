"""Writes of promotions: promotions and their codes (the admin's), and the redemptions placement
records and a cancellation releases.

The total limit of a voucher holds under concurrency: a use is counted by one conditional UPDATE
(`times_used < usage_limit`) on the promotion's row and one on the code's, inside the placing
transaction; when no row is updated the placement is refused (voucher_used_up) and rolls back, so
N parallel placements with K uses left give exactly K orders. A CHECK constraint says the same."""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.money import ZERO
from events.contracts import money
from promotions import calculation
from promotions.calculation import Discounts
from promotions.errors import InvalidPromotion, PromotionNotFound, StaleVersion, VoucherNotApplicable
from promotions.models import Kind, Promotion, PromotionTarget, Redemption, Trigger, VoucherCode
from promotions.selectors import normalized_code
from promotions.signals import promotion_redeemed
from proto.events.v1 import promotions_pb2

logger = logging.getLogger(__name__)

PROMOTION_FIELDS = (
    "name",
    "kind",
    "trigger",
    "starts_at",
    "ends_at",
    "is_active",
    "priority",
    "stackable",
    "percent",
    "amount",
    "currency",
    "threshold",
    "group_size",
    "usage_limit",
    "per_customer_limit",
    "combinable",
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed from paper


# --- Redemptions (placement and cancellation) ------------------------------------------------


def redeem(
    *,
    order_ref: str,
    customer_id: int,
    currency: str,
    discounts: Discounts,
    delivery_discount: Decimal = ZERO,
    now: datetime | None = None,
) -> None:
    """Record the promotions an order used and count the voucher's use (refused when used up).
    No discount: no statement at all. Else one UPDATE each on the voucher's promotion and code, one
    INSERT of the redemptions and the promotion.redeemed event."""
    if not discounts.applied:
        return
    now = now or timezone.now()
    voucher = discounts.voucher if discounts.voucher is not None and discounts.voucher.applied else None
    code_id = voucher.code_id if voucher is not None else None
    if voucher is not None and voucher.rule is not None and code_id is not None:
        counted = Promotion.objects.filter(
            Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")), pk=voucher.rule.id
        ).update(times_used=F("times_used") + 1)
        if not counted or not VoucherCode.objects.filter(
            Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")), pk=code_id
        ).update(times_used=F("times_used") + 1):
            raise VoucherNotApplicable.because(calculation.USED_UP, voucher.code)
    Redemption.objects.bulk_create(
        [
            Redemption(
                promotion_id=applied.rule.id,
                code_id=code_id if applied.rule.code else None,
                customer_id=customer_id,
                order_ref=order_ref,
                amount=applied.amount,
                currency=currency,
                redeemed_at=now,
            )
            for applied in discounts.applied
        ]
    )
    payload = promotions_pb2.PromotionRedeemed(
        order_id=order_ref,
        customer_id=str(customer_id),
        promotions=[
            promotions_pb2.RedeemedPromotion(
                promotion_id=str(applied.rule.id),
                name=applied.rule.name,
                kind=applied.rule.kind,
                code=applied.rule.code or None,
                amount=money(applied.amount, currency),
                free_delivery=applied.delivery,
            )
            for applied in discounts.applied
        ],
        discount_total=money(discounts.items_total, currency),
        delivery_discount=money(delivery_discount, currency),
    )
    payload.redeemed_at.FromDatetime(now)
    promotion_redeemed.send_event(sender=Redemption, aggregate_id=order_ref, payload=payload)


def release(order_ref: str, *, now: datetime | None = None) -> int:
    """A cancelled order gives its uses back (the voucher counts one use less). Idempotent."""
    with transaction.atomic():
        redemptions = list(
            Redemption.objects.select_for_update().filter(order_ref=order_ref, released_at__isnull=True).order_by("pk")
        )
        if not redemptions:
            return 0
        Redemption.objects.filter(pk__in=[r.pk for r in redemptions]).update(released_at=now or timezone.now())
        for redemption in redemptions:
            if redemption.code_id is not None:
                Promotion.objects.filter(pk=redemption.promotion_id, times_used__gt=0).update(
                    times_used=F("times_used") - 1
                )
                VoucherCode.objects.filter(pk=redemption.code_id, times_used__gt=0).update(
                    times_used=F("times_used") - 1
                )
    logger.info("promotions: order %s gave back %s redemption(s)", order_ref, len(redemptions))
    return len(redemptions)


# --- Promotions and codes (the admin) ----------------------------------------------------------


def _check(values: dict[str, Any]) -> None:
    kind = values.get("kind")
    problems: dict[str, list[str]] = {}
    if kind in (Kind.ITEM_PERCENT, Kind.MULTI_BUY, Kind.BASKET_PERCENT) and values.get("percent") is None:
        problems["percent"] = ["This kind of promotion needs a percentage."]
    if kind in (Kind.ITEM_FIXED, Kind.BASKET_FIXED) and values.get("amount") is None:
        problems["amount"] = ["This kind of promotion needs an amount."]
    if kind == Kind.FIRST_ORDER and values.get("amount") is None and values.get("percent") is None:
        problems["amount"] = ["Give an amount or a percentage."]
    if kind == Kind.MULTI_BUY and (values.get("group_size") or 0) < 2:
        problems["group_size"] = ["A multi-buy needs a group of 2 or more (3 for 2: 3)."]
    if values.get("ends_at") and values.get("starts_at") and values["ends_at"] <= values["starts_at"]:
        problems["ends_at"] = ["Must be after the start."]
    if problems:
        raise InvalidPromotion("The promotion is not consistent.", fields=problems)


def _set_targets(promotion: Promotion, targets: dict[str, Iterable[Any]] | None) -> None:
    if targets is None:
        return
    PromotionTarget.objects.filter(promotion=promotion).delete()
    PromotionTarget.objects.bulk_create(
        [
            PromotionTarget(promotion=promotion, **{kind: target})
            for kind, chosen in targets.items()
            for target in chosen
        ]
    )


@transaction.atomic
def create_promotion(values: dict[str, Any], *, targets: dict[str, Iterable[Any]] | None = None) -> Promotion:
    """`targets`: {"category": [...], "product": [...], "variant": [...]} (objects or ids)."""
    values = {name: value for name, value in values.items() if name in PROMOTION_FIELDS}
    _check(values)
    promotion = Promotion.objects.create(**values)
    _set_targets(promotion, targets)
    return promotion


@transaction.atomic
def update_promotion(
    promotion_id: int, changes: dict[str, Any], *, version: int | None, targets: dict[str, Iterable[Any]] | None = None
) -> Promotion:
    promotion = Promotion.objects.select_for_update().filter(pk=promotion_id).first()
    if promotion is None:
        raise PromotionNotFound()
    if version is not None and version != promotion.version:
        raise StaleVersion(current_version=promotion.version)
    for name, value in changes.items():
        if name in PROMOTION_FIELDS:
            setattr(promotion, name, value)
    _check({name: getattr(promotion, name) for name in PROMOTION_FIELDS})
    promotion.version += 1
    promotion.save()
    _set_targets(promotion, targets)
    return promotion


def add_code(promotion_id: int, code: str, *, max_uses: int | None = None, batch: str = "") -> VoucherCode:
    code = normalized_code(code)
    if not code or len(code) > 32 or not code.replace("-", "").isalnum():
        raise InvalidPromotion(fields={"code": ["Letters, digits and dashes, at most 32."]})
    promotion = Promotion.objects.filter(pk=promotion_id).first()
    if promotion is None:
        raise PromotionNotFound()
    if promotion.trigger != Trigger.VOUCHER:
        raise InvalidPromotion(fields={"code": ["Only voucher promotions have codes."]})
    try:
        with transaction.atomic():
            return VoucherCode.objects.create(promotion=promotion, code=code, max_uses=max_uses, batch=batch)
    except IntegrityError:
        raise InvalidPromotion(fields={"code": [f"The code {code} exists already."]}) from None


@transaction.atomic
def generate_codes(promotion_id: int, count: int, *, prefix: str = "", length: int = 8) -> list[VoucherCode]:
    """A batch of single-use codes (PREFIX-XXXXXXXX), each usable once."""
    if not 1 <= count <= 10_000:
        raise InvalidPromotion(fields={"count": ["Between 1 and 10000 codes at once."]})
    batch = f"{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    prefix = normalized_code(prefix)
    made: list[VoucherCode] = []
    while len(made) < count:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        try:
            made.append(add_code(promotion_id, f"{prefix}-{code}" if prefix else code, max_uses=1, batch=batch))
        except InvalidPromotion as exc:
            if "code" not in exc.fields or "exists" not in exc.fields["code"][0]:
                raise
    return made
