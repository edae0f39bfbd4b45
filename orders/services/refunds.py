"""Refunds of delivered orders: staff ask payments to give (part of) the captured money back; the
order's refunded amount and status follow payments' payment.refunded, when the money moved."""

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from orders.errors import RefundRefused
from orders.models import ActorKind, Order, OrderStatus
from orders.services.lifecycle import lock_order, lock_order_of_event, move, note
from payments.selectors import payment_by_id
from payments.services import refund_payment

if TYPE_CHECKING:
    from accounts.models import User
    from payments.models import PaymentTransaction

logger = logging.getLogger(__name__)

S = OrderStatus
REFUNDABLE = frozenset({S.DELIVERED, S.PARTIALLY_REFUNDED})


def refund_order(
    order_id: int, *, amount: Decimal | None, reason: str, idempotency_key: str, actor: "User | None" = None
) -> "PaymentTransaction":
    """Refund `amount` (None: everything not refunded yet) of a delivered order's payment."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status not in REFUNDABLE or order.payment_id is None:
            raise RefundRefused(
                f"An order that is {S(order.status).label} cannot be refunded; refunds follow "
                "delivery (cancel an order that is not out yet)."
            )
        payment = payment_by_id(order.payment_id)
        assert payment is not None  # the order's payment is never deleted (it is money)
        wanted = amount if amount is not None else payment.captured_amount - payment.refunded_amount
        refund = refund_payment(
            payment,
            amount=wanted,
            reason=reason,
            idempotency_key=f"order:{order.pk}:refund:{idempotency_key}",
            actor=actor,
        )
        note(
            order,
            f"refund of {refund.amount} {order.currency} requested: {reason}",
            actor_kind=ActorKind.STAFF,
            actor=actor,
        )
    return refund


def record_refund(order_ref: str, *, total_refunded: Decimal) -> Order | None:
    """payment.refunded: the money went back; the order says how much and whether all of it."""
    with transaction.atomic():
        order = lock_order_of_event(order_ref, "payment.refunded")
        if order is None:
            return None
        if total_refunded <= order.refunded_amount or order.status not in REFUNDABLE:
            return order  # a repeated or out-of-date event
        captured = order.final_total or order.total
        to_status = S.REFUNDED if total_refunded >= captured else S.PARTIALLY_REFUNDED
        move(order, to_status, actor_kind=ActorKind.PAYMENT, note=f"{total_refunded} {order.currency} refunded in all")
        order.refunded_amount = total_refunded
        order.save()
    return order
