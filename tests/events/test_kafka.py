"""The Kafka clients talk to the real broker: topics exist and messages round-trip."""

import os
import subprocess
import sys
import uuid

from django.conf import settings
from kafka import KafkaConsumer

from events.kafka import all_topics, build_admin, build_producer, ensure_topics
from tests.support import REPO


def test_the_event_family_topics_are_created_once() -> None:
    assert all(name.startswith(settings.KAFKA_TOPIC_PREFIX) for name in all_topics())
    ensure_topics()
    assert ensure_topics() == []  # a second run finds them all and creates nothing
    admin = build_admin()
    try:
        existing = set(admin.list_topics())
        described = {t["name"]: t for t in admin.describe_topics(all_topics())}
    finally:
        admin.close()
    assert set(all_topics()) <= existing
    for topic in all_topics():
        assert len(described[topic]["partitions"]) == settings.KAFKA_TOPIC_PARTITIONS


def test_a_message_round_trips_through_the_broker_with_key_and_headers() -> None:
    topic = f"{settings.KAFKA_TOPIC_PREFIX}roundtrip.{uuid.uuid4().hex[:8]}"
    assert ensure_topics([topic]) == [topic]
    producer = build_producer()
    try:
        sent = [
            producer.send(
                topic, key=b"order-42", value=f"payload-{n}".encode(), headers=[("event_type", b"order.created")]
            )
            for n in range(5)
        ]
        producer.flush(timeout=30)
        offsets = [future.get(timeout=30) for future in sent]
    finally:
        producer.close()
    assert len({meta.partition for meta in offsets}) == 1  # one key, one partition, kept in order

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15000,
        group_id=None,
    )
    try:
        received = []
        for message in consumer:
            received.append(message)
            if len(received) == 5:
                break
    finally:
        consumer.close()
    assert [m.value for m in received] == [f"payload-{n}".encode() for n in range(5)]
    assert {m.key for m in received} == {b"order-42"}
    assert dict(received[0].headers)["event_type"] == b"order.created"


def test_no_kafka_client_is_built_at_import_time() -> None:
    # Every module of the project imported with a broker address that answers nothing: it must
    # not block or fail, because no client may be built before first use.
    code = (
        "import django, importlib, pkgutil; django.setup(); import events.kafka as k; "
        "[importlib.import_module(m.name) for app in ('config','events','accounts') "
        " for m in pkgutil.walk_packages([app], app + '.') if 'migrations' not in m.name]; "
        "print(k._producer is None)"
    )
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
