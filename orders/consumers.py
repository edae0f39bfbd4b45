"""Consumers of the orders app: order status from payments (group "orders.payments") and from
delivery (group "orders.delivery"), and erased customers forgotten (group "orders.privacy"). All
are idempotent through the services (a repeated event finds the order already moved)."""

from datetime import UTC
from decimal import Decimal
from typing import cast

from events.consumer import ConsumedEvent, EventConsumer
from orders.services import lifecycle, privacy, refunds
from proto.events.v1 import orders_pb2, payments_pb2, users_pb2


def _payment_id(value: str) -> int:
    return int(value) if value.isdigit() else 0


class OrdersFromPayments(EventConsumer):
    """Confirms an order when its payment is authorized, cancels it when the payment fails, and
    records refunds."""

    group = "orders.payments"

    def on_payment_authorized(self, event: ConsumedEvent) -> None:
        payload = cast(payments_pb2.PaymentAuthorized, event.payload)
        lifecycle.confirm_order(payload.order_id, payment_id=_payment_id(payload.payment_id))

    def on_payment_failed(self, event: ConsumedEvent) -> None:
        payload = cast(payments_pb2.PaymentFailed, event.payload)
        lifecycle.payment_failed(
            payload.order_id,
            payment_id=_payment_id(payload.payment_id),
            failure=payload.failure_message or payload.failure_code,
        )

    def on_payment_refunded(self, event: ConsumedEvent) -> None:
        payload = cast(payments_pb2.PaymentRefunded, event.payload)
        refunds.record_refund(payload.order_id, total_refunded=Decimal(payload.total_refunded.amount))


class OrdersFromDelivery(EventConsumer):
    """Out for delivery and delivered, as delivery reports the shipment."""

    group = "orders.delivery"

    def on_order_shipped(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderShipped, event.payload)
        at = payload.shipped_at if payload.HasField("shipped_at") else event.envelope.occurred_at
        lifecycle.record_shipped(payload.order_id, at=at.ToDatetime(tzinfo=UTC), courier=payload.courier_id)

    def on_order_delivered(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderDelivered, event.payload)
        at = payload.delivered_at if payload.HasField("delivered_at") else event.envelope.occurred_at
        lifecycle.record_delivered(payload.order_id, at=at.ToDatetime(tzinfo=UTC))


class OrdersForgetErasedCustomers(EventConsumer):
    """An erased account's orders stay for finance without its personal data."""

    group = "orders.privacy"

    def on_user_deleted(self, event: ConsumedEvent) -> None:
        payload = cast(users_pb2.UserDeleted, event.payload)
        if payload.user_id.isdigit():
            privacy.forget_customer(int(payload.user_id))
