"""Picking: per line, the quantity or weight that was picked and any substitute; then packing,
which settles the order at what was picked: the stock leaves (short picks give the rest back),
the final amount is captured (less than authorized when short), and order.picked tells the rest.

Limits that keep the capture within the authorization: a piece is never picked more than ordered,
a weighed item at most ORDERS_WEIGHED_MARGIN_PERCENT heavier, and a substitute is charged at most
the ordered item's unit price (the customer never pays more for a substitute).

Packing recomputes the order's discounts on what was picked, with the promotions the order got at
placement (whatever their period or limits now; thresholds are not checked again: a short pick
never costs the customer a basket promotion). A line keeps the promotions of the item ordered when
a substitute is picked; a weighed line picked lighter within the margin keeps its multi-buy groups."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from catalog.selectors import active_variant, counted_in_pieces
from core import quantities
from events.contracts import money, quantity
from inventory.services import commit_reservation
from orders.errors import LinesNotPicked, NothingPicked, PickRefused, SubstitutionNotAllowed
from orders.models import ActorKind, Order, OrderLine, OrderStatus, Substitution
from orders.services import tax
from orders.services.lifecycle import lock_order, move
from orders.services.pricing import ZERO, display_name, line_total, picking_margin, weighed
from orders.signals import order_picked
from payments.selectors import payment_by_id
from payments.services import capture_payment
from promotions import calculation
from promotions.selectors import redeemed_rules
from proto.events.v1 import orders_pb2

if TYPE_CHECKING:
    from accounts.models import User
    from catalog.models import Variant

logger = logging.getLogger(__name__)

S = OrderStatus


def _substitute(line: OrderLine, variant_id: int) -> "Variant":
    if line.substitution == Substitution.NONE:
        raise SubstitutionNotAllowed(f"The customer wants no substitute for {line.sku}.")
    if line.substitution == Substitution.CHOSEN and variant_id != line.substitute_variant_id:
        raise SubstitutionNotAllowed(
            f"The customer chose item {line.substitute_variant_id} as the substitute for {line.sku}."
        )
    variant = active_variant(variant_id)
    if variant is None or variant.pk == line.variant_id:
        raise PickRefused(fields={"substitute_variant": ["Not another item on sale."]})
    return variant


def _picked_quantity(line: OrderLine, variant: "Variant", value: object) -> Decimal:
    """0 or more; pieces whole, weights to the gram; within the line's picking limit."""
    try:
        picked = quantities.clean_quantity(value, unit=variant.unit, allow_zero=True, maximum=None)
    except quantities.QuantityRefused:
        what = "a whole number of pieces" if counted_in_pieces(variant.unit) else "a weight or volume to three decimals"
        raise PickRefused(
            fields={"picked_quantity": [f"Must be 0 or more: {what}."]}, code="invalid_quantity"
        ) from None
    most = line.quantity * (1 + picking_margin(line.unit))
    if picked > most:
        raise PickRefused(
            f"At most {most.normalize():f} {line.unit} of {line.sku} may be picked.",
            fields={"picked_quantity": [f"At most {most.normalize():f}."]},
        )
    return picked


def record_pick(
    order_id: int,
    *,
    line_id: int,
    picked_quantity: object,
    substitute_variant_id: int | None = None,
    actor: "User | None" = None,
) -> OrderLine:
    """What the picker took for one line (again: the latest record counts). The first pick of a
    confirmed order starts its picking."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status == S.CONFIRMED:
            move(order, S.PICKING, actor_kind=ActorKind.STAFF, actor=actor)
            order.save()
        elif order.status != S.PICKING:
            raise PickRefused(
                f"An order that is {S(order.status).label} is not being picked.", code="illegal_transition"
            )
        line = order.lines.select_related("variant__product").filter(pk=line_id).first()
        if line is None:
            raise PickRefused(fields={"line": ["Not a line of this order."]}, code="order_line_not_found")
        variant = line.variant if substitute_variant_id is None else _substitute(line, substitute_variant_id)
        picked = _picked_quantity(line, variant, picked_quantity)
        if variant.unit != line.unit:
            raise PickRefused(fields={"substitute_variant": [f"Sold per {variant.unit}, the line per {line.unit}."]})
        unit_price = line.unit_price if variant.pk == line.variant_id else min(variant.price, line.unit_price)
        substituted = variant.pk != line.variant_id
        line.picked_quantity, line.picked_unit_price = picked, unit_price
        line.picked_variant = variant if substituted else None
        line.picked_sku = variant.sku if substituted else ""
        line.picked_name = display_name(variant) if substituted else ""
        line.final_line_total, line.picked_at = line_total(unit_price, picked), timezone.now()
        tax.retax_line(line, order, tax_class=variant.tax_class if substituted else line.tax_class)
        line.save()
    return line


def line_change(line: OrderLine) -> str | None:
    """What the customer should notice about a picked line."""
    if line.picked_quantity is None:
        return None
    if line.picked_variant_id is not None:
        return "substituted"
    if line.picked_quantity == 0:
        return "not_available"
    if line.picked_quantity < line.quantity:
        return "short" if line.unit == "piece" else "lighter"
    if line.picked_quantity > line.quantity:
        return "heavier"
    return None


@dataclass(frozen=True)
class Pick:
    line_id: int
    picked_quantity: object
    substitute_variant_id: int | None = None


def record_picks(order_id: int, picks: list[Pick], *, actor: "User | None" = None) -> None:
    """Several lines at once (a picker's basket): all recorded, or none when one is refused."""
    with transaction.atomic():
        for pick in picks:
            record_pick(
                order_id,
                line_id=pick.line_id,
                picked_quantity=pick.picked_quantity,
                substitute_variant_id=pick.substitute_variant_id,
                actor=actor,
            )


def _announce_picked(order: Order, lines: list[OrderLine]) -> None:
    payload = orders_pb2.OrderPicked(
        order_id=order.ref,
        final_total=money(order.final_total or ZERO, order.currency),
        placed_total=money(order.total, order.currency),
        lines=[
            orders_pb2.PickedLine(
                line_id=str(line.pk),
                picked_quantity=quantity(line.picked_quantity or ZERO, line.unit),
                substitute_sku=line.picked_sku or None,
                name=line.name,
                ordered_quantity=quantity(line.quantity, line.unit),
                substitute_name=line.picked_name,
                line_total=money(line.final_line_total or ZERO, order.currency),
            )
            for line in lines
        ],
    )
    payload.picked_at.FromDatetime(order.packed_at or timezone.now())
    order_picked.send_event(sender=Order, aggregate_id=order.ref, payload=payload)


def _recompute_discounts(order: Order, lines: list[OrderLine]) -> Decimal:
    """The placed order's promotions on the picked lines; each line's final_discount_amount saved."""
    rules, voucher = redeemed_rules(order.ref)
    if not rules and voucher is None:
        return ZERO
    items = [
        calculation.Item(
            key=str(line.pk),
            variant_id=line.variant_id,  # the item ordered, also when a substitute was picked
            product_id=line.variant.product_id,
            category_path=line.variant.product.category.path,
            unit_price=line.picked_unit_price or ZERO,
            quantity=line.picked_quantity or ZERO,
            amount=line.final_line_total or ZERO,
            group_quantity=calculation.grouping_quantity(
                line.quantity,
                line.picked_quantity or ZERO,
                weighed=weighed(line.unit),
                margin=picking_margin(line.unit),
            ),
        )
        for line in lines
    ]
    discounts = calculation.calculate(items, rules, voucher=voucher, check_thresholds=False)
    for line in lines:
        line.final_discount_amount = discounts.per_line.get(str(line.pk), ZERO)
    tax.retax_discounted(lines)  # a discount lowers its line's taxable base
    OrderLine.objects.bulk_update(lines, ["final_discount_amount", "vat_amount"])
    return discounts.items_total


def pack_order(order_id: int, *, actor: "User | None" = None) -> Order:
    """Picking is done: commit the stock at what was picked, capture the final amount, and tell
    the customer's app and the other domains (order.picked)."""
    with transaction.atomic():
        order = lock_order(order_id)
        lines = list(order.lines.select_related("variant__product__category"))
        if order.status == S.CONFIRMED and lines:
            raise LinesNotPicked("No line has been picked yet.", fields={"lines": [str(line.pk) for line in lines]})
        missing = [str(line.pk) for line in lines if not line.picked]
        if order.status == S.PICKING and missing:
            raise LinesNotPicked(
                f"{len(missing)} line(s) have no pick recorded (record 0 for none).", fields={"lines": missing}
            )
        final_subtotal = sum((line.final_line_total or ZERO for line in lines), ZERO)
        if order.status == S.PICKING and final_subtotal == 0:
            raise NothingPicked()
        final_discount = _recompute_discounts(order, lines)
        now = timezone.now()
        move(order, S.PACKED, actor_kind=ActorKind.STAFF, actor=actor, now=now)
        picked: dict[int, Decimal] = defaultdict(Decimal)
        for line in lines:
            picked[line.picked_variant_id or line.variant_id] += line.picked_quantity or ZERO
        if order.reservation_id is not None:
            commit_reservation(
                order.reservation_id,
                reference=f"order {order.number}",
                actor_id=actor.pk if actor else None,
                picked=dict(picked),
            )
        order.final_subtotal, order.final_discount_total = final_subtotal, final_discount
        # Never above the authorization (a cent of rounding on a heavier pick is the shop's).
        order.final_total = min(
            final_subtotal - final_discount + order.delivery_fee - order.delivery_discount, order.authorized_amount
        )
        tax.retax_delivery(order, lines)
        order.packed_at = now
        order.save()
        if order.payment_id is not None:
            payment = payment_by_id(order.payment_id)
            assert payment is not None  # the order's payment is never deleted (it is money)
            capture_payment(
                payment, amount=order.final_total, final=True, idempotency_key=f"order:{order.pk}:capture", actor=actor
            )
        _announce_picked(order, lines)
    logger.info(
        "orders: order %s packed: %s %s (placed at %s)", order.number, order.final_total, order.currency, order.total
    )
    return order
