"""Consumers of the delivery app: shipments from order events (group "delivery.shipments")."""

from datetime import UTC
from typing import cast

from delivery.services import orders
from events.consumer import ConsumedEvent, EventConsumer
from proto.events.v1 import orders_pb2


class ShipmentsFromOrders(EventConsumer):
    """Creates one shipment per confirmed order in the slot it was placed for; cancels it (and
    frees the booked place) when the order is cancelled."""

    group = "delivery.shipments"

    def on_order_created(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCreated, event.payload)  # unpack_envelope checked the type
        orders.record_order_placed(
            order_ref=payload.order_id,
            order_number=payload.number,
            customer_ref=payload.customer_id,
            slot_ref=payload.delivery_slot_id,
            seen_at=event.envelope.occurred_at.ToDatetime(tzinfo=UTC),
        )

    def on_order_confirmed(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderConfirmed, event.payload)
        confirmed_at = payload.confirmed_at if payload.HasField("confirmed_at") else event.envelope.occurred_at
        orders.record_order_confirmed(order_ref=payload.order_id, confirmed_at=confirmed_at.ToDatetime(tzinfo=UTC))

    def on_order_cancelled(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCancelled, event.payload)
        cancelled_at = payload.cancelled_at if payload.HasField("cancelled_at") else event.envelope.occurred_at
        orders.record_order_cancelled(
            order_ref=payload.order_id, cancelled_at=cancelled_at.ToDatetime(tzinfo=UTC), reason=payload.reason
        )
