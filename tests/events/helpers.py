"""Building blocks for the event tests: order events sent through the real bridge, and a reader
of what actually reached Kafka."""

import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord

from events.bridge import DomainSignal
from events.contracts import money
from events.kafka import topic_for_family
from events.models import OutboxEvent
from proto.events.v1 import orders_pb2

order_created = DomainSignal("order.created", aggregate_type="order")
order_cancelled = DomainSignal("order.cancelled", aggregate_type="order")


def emit_order_created(
    order_id: str, total: str = "10.00", currency: str = "EUR", placed_at: datetime | None = None
) -> OutboxEvent:
    """One committed transaction that records an order.created event."""
    payload = orders_pb2.OrderCreated(
        order_id=order_id, number=f"N-{order_id}", customer_id="c-1", total=money(Decimal(total), currency)
    )
    payload.placed_at.FromDatetime(placed_at or datetime.now(UTC))
    with transaction.atomic():
        return order_created.send_event(sender=None, aggregate_id=order_id, payload=payload)


def emit_order_cancelled(order_id: str, total: str = "10.00", currency: str = "EUR") -> OutboxEvent:
    payload = orders_pb2.OrderCancelled(
        order_id=order_id, reason="test", cancelled_by="customer", total=money(Decimal(total), currency)
    )
    payload.cancelled_at.FromDatetime(datetime.now(UTC))
    with transaction.atomic():
        return order_cancelled.send_event(sender=None, aggregate_id=order_id, payload=payload)


def read_topic(topic: str, *, wanted_event_ids: set[str], timeout: float = 60.0) -> list[ConsumerRecord]:
    """Every message of `topic` whose event_id header is wanted, waiting until all arrived (or
    the timeout passed). Duplicates are returned as they came."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found: list[ConsumerRecord] = []
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while seen != wanted_event_ids and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    event_id = dict(record.headers).get("event_id", b"").decode()
                    if event_id in wanted_event_ids:
                        found.append(record)
                        seen.add(event_id)
    finally:
        consumer.close()
    return found


def orders_topic() -> str:
    return topic_for_family("order")
