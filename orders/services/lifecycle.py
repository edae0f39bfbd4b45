"""The order's life cycle: one transition table, one place that moves an order (with its history
row), and the moves other domains cause: payment authorized or failed, shipped and delivered by
delivery, refunded by payments. Cancelling gives back everything the order holds: the reserved
stock, the booked place, and the payment authorization."""

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict
from delivery.services import holds
from events.contracts import money
from inventory.services import release_reservation
from orders.errors import CancellationClosed, IllegalTransition, OrderNotFound
from orders.models import ActorKind, Order, OrderHistory, OrderStatus
from orders.signals import order_cancelled, order_confirmed
from payments.selectors import authorized_payment, payment_by_id
from payments.services import void_payment
from promotions.services import release as release_redemptions
from proto.events.v1 import orders_pb2

if TYPE_CHECKING:
    from accounts.models import User
    from payments.models import Payment

logger = logging.getLogger(__name__)

S = OrderStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.OUT_FOR_DELIVERY}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
# Who may cancel in which status. Customers only before the slot's cut-off as well; once picked,
# the goods left the shelf and the order goes out (a refund settles a complaint).
CANCELLABLE_BY: dict[str, frozenset[str]] = {
    ActorKind.CUSTOMER: frozenset({S.PENDING_PAYMENT, S.CONFIRMED}),
    ActorKind.STAFF: frozenset({S.PENDING_PAYMENT, S.CONFIRMED, S.PICKING}),
    ActorKind.PAYMENT: frozenset({S.PENDING_PAYMENT}),
    ActorKind.SYSTEM: frozenset({S.PENDING_PAYMENT}),
}


def customer_may_cancel(order: Order, now: datetime | None = None) -> bool:
    """Whether the customer can still cancel it themselves (the app shows the button)."""
    return order.status in CANCELLABLE_BY[ActorKind.CUSTOMER] and (now or timezone.now()) < order.cutoff_at


def lock_order(order_id: int | str, *, customer: "User | None" = None) -> Order:
    """The order, row-locked; a customer's lock finds only their own orders."""
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        raise OrderNotFound() from None
    orders = Order.objects.select_for_update().filter(pk=pk)
    if customer is not None:
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        raise OrderNotFound()
    return order


def lock_order_of_event(order_ref: str, event: str) -> Order | None:
    """The order another domain's event names, row-locked; None (logged) when there is no such
    order: an event about another system's order, or one deleted since, changes nothing here."""
    try:
        return lock_order(order_ref)
    except OrderNotFound:
        logger.warning("orders: %s names order %r, which does not exist", event, order_ref)
        return None


def move(
    order: Order,
    to_status: str,
    *,
    actor_kind: str,
    actor: "User | None" = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """The one way an order's status changes: checked against the table, with a history row.
    The caller holds the order's row lock and saves the order's other fields after."""
    if to_status not in TRANSITIONS[order.status]:
        raise IllegalTransition(
            f"An order that is {S(order.status).label} cannot become {S(to_status).label}.",
            fields={
                "status": [
                    f"Allowed next: {', '.join(sorted(TRANSITIONS[order.status]))}"
                    if TRANSITIONS[order.status]
                    else "none (final)"
                ]
            },
        )
    now = now or timezone.now()
    OrderHistory.objects.create(
        order=order,
        from_status=order.status,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=actor,
        note=note[:500],
        at=now,
    )
    order.status, order.updated_at = to_status, now
    order.version += 1


def note(order: Order, text: str, *, actor_kind: str, actor: "User | None" = None) -> None:
    OrderHistory.objects.create(order=order, actor_kind=actor_kind, actor=actor, note=text[:500])


# --- Payment ----------------------------------------------------------------------------------


def _void(payment: "Payment", order: Order, reason: str) -> None:
    try:
        void_payment(payment, reason=reason, idempotency_key=f"order:{order.pk}:void")
    except Conflict as refused:  # captured or voided meanwhile: nothing left to release
        logger.info("orders: order %s: payment %s not voided: %s", order.number, payment.pk, refused.message)


def confirm_order(order_ref: str, *, payment_id: int) -> Order | None:
    """payment.authorized: the order is accepted. An authorization that arrives after the order
    was cancelled (it timed out, the customer gave up) is voided, so no money stays held."""
    with transaction.atomic():
        order = lock_order_of_event(order_ref, f"authorized payment {payment_id}")
        if order is None:
            return None
        payment = payment_by_id(payment_id)
        if payment is None:
            logger.warning("orders: order %s: authorized payment %s is not ours", order.number, payment_id)
            return order
        if order.status == S.CANCELLED or order.payment_id != payment_id:
            _void(payment, order, "order cancelled before the payment was authorized")
            return order
        if order.status != S.PENDING_PAYMENT:
            return order  # a repeated event
        now = timezone.now()
        move(order, S.CONFIRMED, actor_kind=ActorKind.PAYMENT, note=f"payment {payment_id} authorized", now=now)
        order.confirmed_at = now
        order.save()
        payload = orders_pb2.OrderConfirmed(
            order_id=order.ref, payment_id=str(payment_id), total=money(order.total, order.currency)
        )
        payload.confirmed_at.FromDatetime(now)
        order_confirmed.send_event(sender=Order, aggregate_id=order.ref, payload=payload)
    logger.info("orders: order %s confirmed", order.number)
    return order


def payment_failed(order_ref: str, *, payment_id: int, failure: str) -> Order | None:
    """payment.failed: an order still waiting for its money is cancelled; a failed capture is
    noted for finance to follow up (the goods are already packed)."""
    with transaction.atomic():
        order = lock_order_of_event(order_ref, f"failed payment {payment_id}")
        if order is None:
            return None
        if order.payment_id != payment_id:
            return order
        if order.status == S.PENDING_PAYMENT:
            return cancel_order(order.pk, by=ActorKind.PAYMENT, reason=f"payment failed: {failure}")
        if order.status != S.CANCELLED:
            note(order, f"payment operation failed: {failure}", actor_kind=ActorKind.PAYMENT)
    return order


def _release_holdings(order: Order) -> None:
    """Give back what the order holds before it is picked: stock, the booked place, the money."""
    if order.reservation_id is not None:
        release_reservation(order.reservation_id, reason=f"order {order.number} cancelled")
    holds.cancel_booking(order.ref)
    release_redemptions(order.ref)  # the voucher's use comes back
    payment = authorized_payment(order.payment_id) if order.payment_id else None
    if payment is not None:
        _void(payment, order, "order cancelled")
    # A pending authorization is voided when it completes (confirm_order sees the cancelled order).


def cancel_order(
    order_id: int | str, *, by: str, actor: "User | None" = None, reason: str = "", customer: "User | None" = None
) -> Order:
    """Cancel, if `by` may in the order's status (customers: their own orders, before the cut-off)."""
    now = timezone.now()
    with transaction.atomic():
        order = lock_order(order_id, customer=customer)
        if order.status not in CANCELLABLE_BY[by]:
            if order.status in CANCELLABLE_BY[ActorKind.STAFF] and by == ActorKind.CUSTOMER:
                raise CancellationClosed("Picking has started; contact support to change this order.")
            raise IllegalTransition(
                f"An order that is {S(order.status).label} cannot be cancelled"
                + (" by you." if by == ActorKind.CUSTOMER else ".")
            )
        if by == ActorKind.CUSTOMER and now >= order.cutoff_at:
            raise CancellationClosed(f"Orders for this slot can be cancelled until {order.cutoff_at:%H:%M} UTC.")
        _release_holdings(order)
        move(order, S.CANCELLED, actor_kind=by, actor=actor, note=reason, now=now)
        order.cancelled_at, order.cancelled_by, order.cancel_reason = now, by, reason[:300]
        order.save()
        payload = orders_pb2.OrderCancelled(
            order_id=order.ref, reason=reason, cancelled_by=str(by), total=money(order.total, order.currency)
        )
        payload.cancelled_at.FromDatetime(now)
        order_cancelled.send_event(sender=Order, aggregate_id=order.ref, payload=payload)
    logger.info("orders: order %s cancelled by %s (%s)", order.number, by, reason or "-")
    return order


def cancel_unpaid_orders(now: datetime | None = None) -> int:
    """Cancel orders whose payment has not been authorized in ORDERS_PAYMENT_TIMEOUT_MINUTES."""
    deadline = (now or timezone.now()) - timedelta(minutes=settings.ORDERS_PAYMENT_TIMEOUT_MINUTES)
    due = Order.objects.filter(status=S.PENDING_PAYMENT, placed_at__lt=deadline).order_by("pk")
    cancelled = 0
    for order_id in list(due.values_list("pk", flat=True)[:500]):
        try:
            cancel_order(order_id, by=ActorKind.SYSTEM, reason="the payment was not completed in time")
            cancelled += 1
        except Conflict:
            continue  # confirmed or cancelled meanwhile
    return cancelled


# --- Delivery ---------------------------------------------------------------------------------


def record_shipped(order_ref: str, *, at: datetime, courier: str = "") -> Order | None:
    """order.shipped (from delivery): the packed order is on its way."""
    with transaction.atomic():
        order = lock_order_of_event(order_ref, "order.shipped")
        if order is None:
            return None
        if order.status == S.PACKED:
            move(
                order,
                S.OUT_FOR_DELIVERY,
                actor_kind=ActorKind.DELIVERY,
                note=f"with courier {courier}" if courier else "",
                now=at,
            )
            order.save()
        elif order.status != S.OUT_FOR_DELIVERY:
            note(order, f"the shipment left while the order was {S(order.status).label}", actor_kind=ActorKind.DELIVERY)
    return order


def record_delivered(order_ref: str, *, at: datetime) -> Order | None:
    """order.delivered (from delivery): handed over. A lost or late `shipped` is implied."""
    with transaction.atomic():
        order = lock_order_of_event(order_ref, "order.delivered")
        if order is None:
            return None
        if order.status == S.PACKED:
            move(order, S.OUT_FOR_DELIVERY, actor_kind=ActorKind.DELIVERY, now=at)
        if order.status == S.OUT_FOR_DELIVERY:
            move(order, S.DELIVERED, actor_kind=ActorKind.DELIVERY, now=at)
            order.delivered_at = at
            order.save()
        elif order.status != S.DELIVERED:
            note(order, f"delivered while the order was {S(order.status).label}", actor_kind=ActorKind.DELIVERY)
    return order
