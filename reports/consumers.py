"""Consumers of the reports app: keep the sales projection from order events."""

from datetime import UTC
from typing import cast

from events.consumer import ConsumedEvent, EventConsumer
from events.contracts import decimal_from_money
from proto.events.v1 import orders_pb2
from reports import services


class SalesProjection(EventConsumer):
    """Daily sales per currency (reports.DailySales), applied once per event."""

    group = "reports.sales"

    def on_order_created(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCreated, event.payload)  # unpack_envelope checked the type
        services.record_order_placed(
            placed_at=payload.placed_at.ToDatetime(tzinfo=UTC),
            total=decimal_from_money(payload.total),
            currency=payload.total.currency,
        )

    def on_order_cancelled(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCancelled, event.payload)
        services.record_order_cancelled(
            cancelled_at=payload.cancelled_at.ToDatetime(tzinfo=UTC),
            total=decimal_from_money(payload.total),
            currency=payload.total.currency,
        )
