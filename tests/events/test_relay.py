"""The relay publishes committed events to the real Kafka broker: all of them, in order per
aggregate, none from rolled-back transactions, none lost while Kafka is down."""

import subprocess
import sys
import threading
import time
from collections import defaultdict

import pytest
from django.db import connection, transaction

from events.models import OutboxEvent
from events.relay import OutboxRelay
from reports.models import DailySales
from tests.events.helpers import emit_order_created, orders_topic, read_topic
from tests.resilience.toxiproxy import KAFKA_OUTAGE_LISTEN, kafka_outage_proxy
from tests.support import REPO, child_database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics")]


def relay_until_idle(**options: object) -> int:
    return OutboxRelay(idle_wait=0.1, **options).run(threading.Event(), until_idle=True).published  # type: ignore[arg-type]


def test_a_thousand_committed_events_all_arrive_in_order_per_aggregate() -> None:
    events = [emit_order_created(f"agg-{n % 25}", total=f"{n % 50}.00") for n in range(1000)]
    assert relay_until_idle(batch_size=200) == 1000

    expected = {str(e.event_id) for e in events}
    received = read_topic(orders_topic(), wanted_event_ids=expected)
    assert len(received) == 1000
    assert {dict(r.headers)["event_id"].decode() for r in received} == expected

    written_order: dict[str, list[str]] = defaultdict(list)
    for event in events:
        written_order[event.aggregate_id].append(str(event.event_id))
    arrived_order: dict[str, list[str]] = defaultdict(list)
    for record in sorted(received, key=lambda r: (r.partition, r.offset)):
        arrived_order[record.key.decode()].append(dict(record.headers)["event_id"].decode())
    assert arrived_order == written_order
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_rolled_back_transactions_publish_nothing() -> None:
    committed = [emit_order_created(f"kept-{n}") for n in range(5)]
    for n in range(5):
        with pytest.raises(RuntimeError), transaction.atomic():
            emit_order_created(f"dropped-{n}")
            raise RuntimeError("rolled back")
    assert relay_until_idle() == 5

    all_ids = set(OutboxEvent.objects.values_list("event_id", flat=True))
    assert {e.event_id for e in committed} == all_ids
    received = read_topic(orders_topic(), wanted_event_ids={str(e.event_id) for e in committed})
    assert sorted(r.key.decode() for r in received) == [f"kept-{n}" for n in range(5)]


class KilledBetweenPublishAndMark(BaseException):
    """Stands for the relay process dying: its transaction never commits."""


class RelayKilledAfterPublishing(OutboxRelay):
    def _publish(self, batch):  # type: ignore[no-untyped-def]
        super()._publish(batch)
        raise KilledBetweenPublishAndMark()


def test_a_relay_killed_between_publish_and_mark_republishes_and_the_consumer_applies_once() -> None:
    from events.consuming import ConsumerRunner
    from reports.consumers import SalesProjection

    events = [emit_order_created(f"dup-{n}", total="7.50") for n in range(10)]
    with pytest.raises(KilledBetweenPublishAndMark):
        RelayKilledAfterPublishing(idle_wait=0.1).run(threading.Event(), until_idle=True)
    connection.close()  # a dead process's session is gone, and with it the relay lock
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 10
    assert relay_until_idle() == 10  # the restarted relay publishes the batch again

    wanted = {str(e.event_id) for e in events}
    assert len(read_topic(orders_topic(), wanted_event_ids=wanted, timeout=10)) >= 20  # every event twice

    stats = ConsumerRunner(SalesProjection()).run(threading.Event(), until_idle=True)
    assert stats.applied == 10 and stats.duplicates >= 10
    day = DailySales.objects.get()
    assert day.orders_placed == 10
    assert str(day.gross_placed) == "75.00"


def test_only_one_relay_is_active_and_a_standby_takes_over() -> None:
    active = OutboxRelay()
    assert active._hold_leadership()
    standby_result: list[bool] = []

    def standby() -> None:
        try:
            relay = OutboxRelay()
            standby_result.append(relay._hold_leadership())
            active_released.wait(10)
            standby_result.append(relay._hold_leadership())
            relay._release_leadership()
        finally:
            connection.close()

    active_released = threading.Event()
    thread = threading.Thread(target=standby)
    thread.start()
    time.sleep(0.5)
    active._release_leadership()
    active_released.set()
    thread.join(15)
    assert standby_result == [False, True]


def run_relay_process(kafka_bootstrap: str) -> subprocess.Popen[str]:
    import os

    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "EVENTS_RELAY_MAX_BACKOFF_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "relay_events"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def pending() -> int:
    return OutboxEvent.objects.filter(published_at__isnull=True).count()


def test_events_written_while_kafka_is_away_all_arrive_once_it_is_back() -> None:
    # The relay reaches Kafka only through a proxy, so the test takes the broker away from the
    # relay alone (as a stopped broker looks to it: connections closed, new ones refused) while
    # the other tests of the run keep theirs.
    kafka = kafka_outage_proxy()
    relay = run_relay_process(KAFKA_OUTAGE_LISTEN)
    try:
        before = [emit_order_created(f"outage-{n}") for n in range(20)]
        wait_until(lambda: pending() == 0, 30, "the relay to publish the first events")

        kafka.cut()
        during = [emit_order_created(f"outage-{n}") for n in range(20, 220)]
        wait_until(
            lambda: OutboxEvent.objects.filter(publish_attempts__gt=0).exists(),
            60,
            "the relay to fail and retry while Kafka is away",
        )
        assert pending() == 200  # nothing was marked published while Kafka was away

        kafka.restore()
        wait_until(lambda: pending() == 0, 90, "the relay to catch up after Kafka came back")
    finally:
        kafka.close()
        relay.terminate()
        output, _ = relay.communicate(timeout=30)
    assert relay.returncode == 0, output
    assert "relay: stopped after publishing" in output

    wanted = {str(e.event_id) for e in before + during}
    received = read_topic(orders_topic(), wanted_event_ids=wanted)
    assert {dict(r.headers)["event_id"].decode() for r in received} == wanted
