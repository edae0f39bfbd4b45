"""The customer's order messages, from the domain events (group "notifications.customers").

Each handler reads the order (for its customer and booked window) through orders' selectors, takes
what changed from the event itself, and records one message per event and recipient; the inbox
and the message's unique record make a redelivered event send nothing more."""

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from google.protobuf.timestamp_pb2 import Timestamp

from events.consumer import ConsumedEvent, EventConsumer
from events.contracts import decimal_from_money, decimal_from_quantity
from notifications import services
from notifications.kinds import Kind
from notifications.rendering import money_text, quantity_text, supported_language
from notifications.selectors import recipient_of
from orders.errors import OrderNotFound
from orders.selectors import order_of
from proto.events.v1 import orders_pb2, payments_pb2

if TYPE_CHECKING:
    from orders.models import Order

logger = logging.getLogger(__name__)


def _time(value: Timestamp, fallback: Timestamp) -> datetime:
    return (value if value.ByteSize() else fallback).ToDatetime(tzinfo=UTC)


def line_change(ordered: Decimal, picked: Decimal, unit: str, substituted: bool) -> str:
    """What the customer should notice about a picked line ("" when nothing)."""
    if substituted:
        return "substituted"
    if picked == 0:
        return "not_available"
    if picked != ordered:
        if unit == "piece":
            return "short" if picked < ordered else ""
        return "lighter" if picked < ordered else "heavier"
    return ""


class CustomerMessages(EventConsumer):
    group = "notifications.customers"

    def _send(self, event: ConsumedEvent, kind: Kind, order_ref: str, context: dict[str, Any]) -> None:
        try:
            order = order_of(int(order_ref))
        except (OrderNotFound, ValueError):
            logger.warning("notifications: %s names order %r, which does not exist", event.event_type, order_ref)
            return
        recipient = recipient_of(order.customer)
        language = supported_language(recipient.language)
        money = lambda amount: money_text(amount, order.currency, language)  # noqa: E731
        context = {
            "order_number": order.number,
            "window_start": order.slot_starts_at,
            "window_end": order.slot_ends_at,
            **{key: money(value) if isinstance(value, Decimal) else value for key, value in context.items()},
        }
        for key in ("lines", "changes"):
            if key in context:
                context[key] = [self._line(line, order, language) for line in context[key]]
        services.notify(event.event_id, kind, recipient, context, order_ref=order.ref)

    @staticmethod
    def _line(line: dict[str, Any], order: "Order", language: str) -> dict[str, Any]:
        shown = dict(line)
        for key in ("ordered", "picked"):
            if key in line:
                shown[key] = quantity_text(line[key], line["unit"], language)
        if "total" in line:
            shown["total"] = money_text(line["total"], order.currency, language)
        return shown

    def on_order_created(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCreated, event.payload)
        lines = [
            {
                "name": line.name,
                "ordered": decimal_from_quantity(line.quantity),
                "unit": line.quantity.unit,
                "total": decimal_from_money(line.line_total),
            }
            for line in payload.lines
        ]
        address = payload.shipping_address
        self._send(
            event,
            Kind.ORDER_PLACED,
            payload.order_id,
            {
                "lines": lines,
                "subtotal": decimal_from_money(payload.subtotal),
                "delivery_fee": decimal_from_money(payload.delivery_fee),
                "total": decimal_from_money(payload.total),
                "address": ", ".join(
                    part
                    for part in (address.line1, address.line2, f"{address.postal_code} {address.city}".strip())
                    if part
                ),
            },
        )

    def on_order_confirmed(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderConfirmed, event.payload)
        self._send(event, Kind.ORDER_CONFIRMED, payload.order_id, {"total": decimal_from_money(payload.total)})

    def on_order_picked(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderPicked, event.payload)
        lines = []
        for line in payload.lines:
            ordered, picked = decimal_from_quantity(line.ordered_quantity), decimal_from_quantity(line.picked_quantity)
            lines.append(
                {
                    "name": line.name,
                    "ordered": ordered,
                    "picked": picked,
                    "unit": line.picked_quantity.unit,
                    "change": line_change(ordered, picked, line.picked_quantity.unit, line.HasField("substitute_sku")),
                    "substitute": line.substitute_name or line.substitute_sku,
                    "total": decimal_from_money(line.line_total) if line.HasField("line_total") else Decimal(0),
                }
            )
        final_total = decimal_from_money(payload.final_total)
        placed_total = decimal_from_money(payload.placed_total) if payload.HasField("placed_total") else final_total
        self._send(
            event,
            Kind.ORDER_PICKED,
            payload.order_id,
            {
                "lines": lines,
                "changes": [line for line in lines if line["change"]],
                "final_total": final_total,
                "placed_total": placed_total,
                "total_changed": final_total != placed_total,
            },
        )

    def on_order_shipped(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderShipped, event.payload)
        shipped_at = _time(payload.shipped_at, event.envelope.occurred_at)
        self._send(event, Kind.ORDER_OUT_FOR_DELIVERY, payload.order_id, {"shipped_at": shipped_at})

    def on_order_delivered(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderDelivered, event.payload)
        delivered_at = _time(payload.delivered_at, event.envelope.occurred_at)
        self._send(event, Kind.ORDER_DELIVERED, payload.order_id, {"delivered_at": delivered_at})

    def on_order_cancelled(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderCancelled, event.payload)
        self._send(
            event,
            Kind.ORDER_CANCELLED,
            payload.order_id,
            {
                "reason": payload.reason,
                "cancelled_by": payload.cancelled_by,
                "total": decimal_from_money(payload.total),
            },
        )

    def on_payment_refunded(self, event: ConsumedEvent) -> None:
        payload = cast(payments_pb2.PaymentRefunded, event.payload)
        self._send(
            event,
            Kind.ORDER_REFUNDED,
            payload.order_id,
            {
                "amount": decimal_from_money(payload.amount),
                "total_refunded": decimal_from_money(payload.total_refunded),
                "reason": payload.reason,
            },
        )

    def on_user_deleted(self, event: ConsumedEvent) -> None:
        """Once the user.deleted contract exists (accounts' side of issue 18): forget the person."""
        user_id = getattr(event.payload, "user_id", "")
        if str(user_id).isdigit():
            services.forget_person(int(user_id))
