"""Consumers apply each event once, set poison messages aside and keep going, and stop cleanly."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from events.consuming import ConsumerRunner
from events.contracts import money, pack_envelope
from events.kafka import build_producer, dead_letter_topic
from events.models import DeadLetter, DeadLetterStatus, ProcessedEvent
from events.relay import OutboxRelay
from events.services import DeadLetterRetryFailed, retry_dead_letter
from proto.events.v1 import orders_pb2
from reports.consumers import SalesProjection
from reports.models import DailySales
from tests.events.helpers import emit_order_cancelled, emit_order_created, orders_topic, read_topic
from tests.support import REPO, child_database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics")]


def relay_all() -> None:
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)


def consume_all(**options: object) -> object:
    return ConsumerRunner(SalesProjection(), retry_backoff=0.01, **options).run(  # type: ignore[arg-type]
        threading.Event(), until_idle=True
    )


def produce_raw(value: bytes, *, key: bytes = b"x", headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = build_producer()
    try:
        producer.send(orders_topic(), key=key, value=value, headers=headers or []).get(timeout=30)
    finally:
        producer.close()


def test_the_sales_projection_applies_each_event_once_across_restarts() -> None:
    emit_order_created("o-1", total="12.30")
    emit_order_created("o-2", total="7.70")
    emit_order_cancelled("o-2", total="7.70")
    relay_all()

    first = consume_all()
    assert first.applied == 3  # type: ignore[attr-defined]
    day = DailySales.objects.get()
    assert (day.orders_placed, day.orders_cancelled) == (2, 1)
    assert (day.gross_placed, day.gross_cancelled, day.net_sales) == (
        Decimal("20.00"),
        Decimal("7.70"),
        Decimal("12.30"),
    )

    # Offsets were committed after the database commits: a restarted consumer starts after them.
    second = consume_all()
    assert second.applied == 0 and second.duplicates == 0  # type: ignore[attr-defined]
    assert ProcessedEvent.objects.filter(consumer_group="reports.sales").count() == 3


def test_bad_payloads_and_unknown_types_are_dead_lettered_and_the_consumer_keeps_going() -> None:
    produce_raw(b"\x08\x96\x01 this is not an envelope", headers=[("event_type", b"order.created")])
    unknown = orders_pb2.OrderCreated(order_id="o-9", total=money(Decimal("1.00"), "EUR"))
    envelope = pack_envelope(
        event_id=str(uuid.uuid4()),
        event_type="order.created",
        occurred_at=datetime.now(UTC),
        aggregate_type="order",
        aggregate_id="o-9",
        payload=unknown,
    )
    envelope.event_type = "order.teleported"
    produce_raw(envelope.SerializeToString(), key=b"o-9", headers=[("event_id", envelope.event_id.encode())])
    emit_order_created("o-10", total="3.00")
    relay_all()

    stats = consume_all()
    assert stats.dead_lettered == 2 and stats.applied == 1  # type: ignore[attr-defined]
    assert DailySales.objects.get().orders_placed == 1
    assert sorted(DeadLetter.objects.values_list("error_code", flat=True)) == [
        "invalid_event_payload",
        "unknown_event_type",
    ]

    on_topic = read_topic(dead_letter_topic(), wanted_event_ids={"", envelope.event_id}, timeout=15)
    codes = sorted(dict(r.headers)["dlq_error_code"].decode() for r in on_topic)
    assert codes == ["invalid_event_payload", "unknown_event_type"]
    assert all(dict(r.headers)["dlq_original_topic"].decode() == orders_topic() for r in on_topic)


def test_a_handler_that_keeps_failing_is_dead_lettered_after_n_attempts() -> None:
    emit_order_created("o-20", total="5.00", currency="EUR")
    emit_order_created("o-21", total="5.00", currency="EUR")
    relay_all()
    # The second event is corrupted on its way: its currency is not a currency code.
    bad = orders_pb2.OrderCreated(order_id="o-22", total=orders_pb2.OrderCreated().total)
    bad.total.currency, bad.total.amount = "euro", "5.00"
    envelope = pack_envelope(
        event_id=str(uuid.uuid4()),
        event_type="order.created",
        occurred_at=datetime.now(UTC),
        aggregate_type="order",
        aggregate_id="o-22",
        payload=bad,
    )
    produce_raw(envelope.SerializeToString(), key=b"o-22")

    stats = consume_all(max_attempts=3)
    assert stats.applied == 2 and stats.dead_lettered == 1  # type: ignore[attr-defined]
    dead = DeadLetter.objects.get()
    assert (dead.error_code, dead.attempts, dead.event_type) == ("handler_failed", 3, "order.created")
    assert "not a currency code" in dead.error
    assert not ProcessedEvent.objects.filter(event_id=envelope.event_id).exists()  # nothing half-applied

    with pytest.raises(DeadLetterRetryFailed, match="not a currency code"):
        retry_dead_letter(dead.pk)
    dead.refresh_from_db()
    assert dead.status == DeadLetterStatus.PENDING and dead.attempts == 4


def test_retrying_a_dead_letter_applies_it_once() -> None:
    payload = orders_pb2.OrderCreated(order_id="o-30", total=money(Decimal("9.99"), "EUR"))
    payload.placed_at.FromDatetime(datetime.now(UTC))
    envelope = pack_envelope(
        event_id=str(uuid.uuid4()),
        event_type="order.created",
        occurred_at=datetime.now(UTC),
        aggregate_type="order",
        aggregate_id="o-30",
        payload=payload,
    )
    dead = DeadLetter.objects.create(
        consumer_group="reports.sales",
        topic=orders_topic(),
        partition=0,
        offset=7,
        value=envelope.SerializeToString(),
        error_code="handler_failed",
        error="database was briefly read-only",
        attempts=5,
    )
    retry_dead_letter(dead.pk)
    retry_dead_letter(dead.pk)  # a second click changes nothing
    dead.refresh_from_db()
    assert dead.status == DeadLetterStatus.RETRIED and dead.retried_at is not None
    assert DailySales.objects.get().orders_placed == 1


def test_the_consumer_command_stops_cleanly_on_sigterm() -> None:
    emit_order_created("o-40", total="4.00")
    relay_all()
    env = {**os.environ, "DATABASE_URL": child_database_url()}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "consume_events", "--group", "reports.sales"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not DailySales.objects.exists():
            assert time.monotonic() < deadline, "the consumer did not apply the event"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "consumer reports.sales: stopped; applied 1" in output


def test_an_unknown_group_is_refused_with_the_known_ones() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "consume_events", "--group", "nope"],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": child_database_url()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "unknown consumer group 'nope'; known groups:" in result.stderr
    assert "reports.sales" in result.stderr
