"""Relay throughput and commit-to-Kafka latency, against a raw kafka-python producer.

Run on demand against the real services (not part of the tests):

    make services-up && eval "$(scripts/services env)" && DEBUG=1 .venv/bin/python bench/relay_throughput.py

1. Throughput: N events are committed to the outbox, then the relay publishes them; the same
   messages are then sent by a bare KafkaProducer with the same settings (acks=all, idempotence)
   and flushed. Both print events/s; the ratio is relay / raw.
2. Latency: the relay runs in the background while events are committed one transaction at a time
   at a steady rate; a consumer notes when each arrives. p50/p99 of arrival minus commit.
Uses its own topics (a `bench-` prefix) and removes them and its outbox rows afterwards.
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from datetime import UTC, datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from kafka import KafkaConsumer  # noqa: E402

from events.bridge import DomainSignal  # noqa: E402
from events.contracts import money  # noqa: E402
from events.kafka import build_admin, ensure_topics, topic_for_family  # noqa: E402
from events.models import OutboxEvent  # noqa: E402
from events.relay import OutboxRelay, relay_producer  # noqa: E402
from proto.events.v1 import orders_pb2  # noqa: E402

order_created = DomainSignal("order.created", aggregate_type="order")


def payload(n: int) -> orders_pb2.OrderCreated:
    message = orders_pb2.OrderCreated(
        order_id=f"bench-{n}",
        number=f"B{n:07d}",
        customer_id=str(n % 997),
        total=money(Decimal(f"{n % 200}.{n % 100:02d}"), "EUR"),
    )
    message.placed_at.FromDatetime(datetime.now(UTC))
    return message


def commit_events(count: int, per_transaction: int = 100) -> list[int]:
    ids: list[int] = []
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(start + per_transaction, count)):
                ids.append(
                    order_created.send_event(sender=None, aggregate_id=f"bench-{n % 500}", payload=payload(n)).pk
                )
    return ids


def bench_throughput(count: int) -> tuple[float, float]:
    ids = commit_events(count)
    started = time.perf_counter()
    stats = OutboxRelay(idle_wait=0.05).run(threading.Event(), until_idle=True)
    relay_seconds = time.perf_counter() - started
    assert stats.published == count, stats

    rows = list(
        OutboxEvent.objects.filter(id__in=ids)
        .order_by("id")
        .values_list("event_id", "event_type", "aggregate_id", "payload")
    )
    producer = relay_producer()
    topic = topic_for_family("order")
    started = time.perf_counter()
    for event_id, event_type, aggregate_id, value in rows:
        producer.send(
            topic,
            key=aggregate_id.encode(),
            value=bytes(value),
            headers=[("event_id", str(event_id).encode()), ("event_type", event_type.encode())],
        )
    producer.flush()
    raw_seconds = time.perf_counter() - started
    producer.close()
    return count / relay_seconds, count / raw_seconds


def bench_latency(rate: int, seconds: float) -> list[float]:
    committed_at: dict[str, float] = {}
    arrived_at: dict[str, float] = {}
    topic = topic_for_family("order")
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=None,
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    while not consumer.assignment():
        consumer.poll(timeout_ms=100)
    for tp in consumer.assignment():
        consumer.seek_to_end(tp)
        consumer.position(tp)
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set() or len(arrived_at) < len(committed_at):
            for batch in consumer.poll(timeout_ms=100).values():
                now = time.perf_counter()
                for record in batch:
                    arrived_at.setdefault(dict(record.headers)["event_id"].decode(), now)
            if stop.is_set() and time.perf_counter() > deadline:
                break

    def relay() -> None:
        try:
            OutboxRelay(idle_wait=1.0).run(stop)
        finally:
            connection.close()

    deadline = float("inf")
    threads = [threading.Thread(target=consume), threading.Thread(target=relay)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # let the relay take the lock and start listening
    interval = 1.0 / rate
    next_at = time.perf_counter()
    end = next_at + seconds
    n = 0
    while time.perf_counter() < end:
        with transaction.atomic():
            event = order_created.send_event(sender=None, aggregate_id=f"lat-{n % 50}", payload=payload(n))
        committed_at[str(event.event_id)] = time.perf_counter()
        n += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    deadline = time.perf_counter() + 30
    stop.set()
    for thread in threads:
        thread.join()
    consumer.close()
    return [(arrived_at[e] - committed_at[e]) * 1000 for e in committed_at if e in arrived_at]


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="events for the throughput run")
    parser.add_argument("--rate", type=int, default=200, help="events/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    args = parser.parse_args()
    if not settings.KAFKA_BOOTSTRAP_SERVERS or connection.vendor != "postgresql":
        sys.exit('run with DATABASE_URL (Postgres) and KAFKA_BOOTSTRAP_SERVERS set: eval "$(scripts/services env)"')
    call_command("migrate", verbosity=0)
    settings.KAFKA_TOPIC_PREFIX = f"bench-{uuid.uuid4().hex[:8]}."
    ensure_topics()
    first_id = (OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    if OutboxEvent.objects.filter(published_at__isnull=True).exists():
        sys.exit("the outbox has pending events of a running stack; bench on a quiet database")
    try:
        relay_rate, raw_rate = bench_throughput(args.events)
        print(
            f"throughput: relay {relay_rate:,.0f} events/s, raw producer {raw_rate:,.0f} events/s, "
            f"ratio {relay_rate / raw_rate:.2f} ({args.events} events, batch {settings.EVENTS_RELAY_BATCH_SIZE})"
        )
        latencies = bench_latency(args.rate, args.seconds)
        print(
            f"latency commit->Kafka: p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms "
            f"({len(latencies)} events at {args.rate}/s)"
        )
    finally:
        OutboxEvent.objects.filter(id__gte=first_id).delete()
        admin = build_admin()
        try:
            admin.delete_topics([t for t in admin.list_topics() if t.startswith(settings.KAFKA_TOPIC_PREFIX)])
        finally:
            admin.close()


if __name__ == "__main__":
    main()
