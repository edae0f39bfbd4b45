"""Scale-out on the real broker, with real processes: two consumers of one group split the
partitions and apply each event once; the standby relay takes over from a SIGKILLed active one
without losing an event; SIGTERM drains consumers and relays (docs/decisions/0030)."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from events.consuming import ConsumerRunner
from events.kafka import build_admin, kafka_group_id
from events.models import OutboxEvent, ProcessedEvent
from events.relay import RELAY_LOCK_KEY, OutboxRelay
from reports.consumers import SalesProjection
from reports.models import DailySales
from tests.conftest import fresh_kafka_topics
from tests.events.helpers import emit_order_created, orders_topic, read_topic
from tests.support import REPO, child_database_url

pytestmark = pytest.mark.django_db(transaction=True)

PARTITIONS = 4
GROUP = SalesProjection.group


@pytest.fixture
def partitioned_topics(settings: object) -> Iterator[str]:
    """This test's topics, created with KAFKA_TOPIC_PARTITIONS partitions."""
    settings.KAFKA_TOPIC_PARTITIONS = PARTITIONS  # type: ignore[attr-defined]
    with fresh_kafka_topics() as prefix:
        yield prefix


class Process:
    """A manage.py command in its own process, its output in a file the test can watch."""

    def __init__(self, tmp_path: Path, name: str, *args: str) -> None:
        self.log = tmp_path / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": child_database_url(), "EVENTS_RELAY_MAX_BACKOFF_SECONDS": "1"}
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "manage.py", *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signum)
        return self.popen.wait(timeout)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(name: str, *args: str) -> Process:
        started.append(Process(tmp_path, name, *args))
        return started[-1]

    yield start
    for process in started:  # whatever a failed test left running
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait(10)


def wait_until(condition: Callable[[], object], timeout: float, what: str, *procs: Process) -> float:
    """Poll until `condition` holds; return the seconds it took. Fails early if a process died."""
    started = time.monotonic()
    while not condition():
        for process in procs:
            assert process.popen.poll() is None, f"{what}: a process exited:\n{process.output()}"
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.1)
    return time.monotonic() - started


def group_members() -> list[dict[str, object]]:
    admin = build_admin()
    try:
        group = admin.describe_groups([kafka_group_id(GROUP)])[kafka_group_id(GROUP)]
    finally:
        admin.close()
    if group.get("group_state", group.get("state")) != "Stable":
        return []
    return list(group["members"])


def applied_by(process: Process) -> int:
    line = next(line for line in process.output().splitlines() if f"consumer {GROUP}: stopped; applied" in line)
    applied, duplicates = (int(part.split()[-1]) for part in line.split(";")[1].split(",")[:2])
    assert duplicates == 0, line
    return applied


def processed() -> int:
    return ProcessedEvent.objects.filter(consumer_group=GROUP).count()


def relay_all() -> None:
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)


@pytest.mark.usefixtures("partitioned_topics")
def test_two_consumers_of_a_group_split_the_partitions_apply_each_event_once_and_drain_on_sigterm(
    processes: Callable[..., Process],
) -> None:
    first = processes("consumer-1", "consume_events", "--group", GROUP)
    second = processes("consumer-2", "consume_events", "--group", GROUP)
    wait_until(lambda: len(group_members()) == 2, 90, "both consumers to join the group", first, second)

    for n in range(40):  # keys spread over the partitions
        emit_order_created(f"split-{n}", total="1.00")
    relay_all()
    wait_until(lambda: processed() == 40, 30, "the group to apply the events", first, second)

    # SIGTERM drains the first one; the second takes its partitions over and applies the rest.
    assert first.stop() == 0, first.output()
    for n in range(40, 60):
        emit_order_created(f"split-{n}", total="1.00")
    relay_all()
    wait_until(lambda: processed() == 60, 30, "the remaining consumer to take over", second)
    assert second.stop() == 0, second.output()

    by_first, by_second = applied_by(first), applied_by(second)
    assert by_first > 0 and by_second - 20 > 0, (by_first, by_second)  # both had partitions
    assert by_first + by_second == 60  # each event applied by exactly one of them, once
    day = DailySales.objects.get()
    assert day.orders_placed == 60 and str(day.gross_placed) == "60.00"


def lock_holder_pid() -> int | None:
    """The backend that holds the relay lock in this database (None: no active relay)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            [RELAY_LOCK_KEY],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def standby_waiting() -> bool:
    """A relay session in this database that asked for the lock and did not get it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE '%%pg_try_advisory_lock%%' AND pid IS DISTINCT FROM %s",
            [lock_holder_pid()],
        )
        return bool(cursor.fetchone()[0])


def published() -> int:
    return OutboxEvent.objects.filter(published_at__isnull=False).count()


@pytest.mark.usefixtures("partitioned_topics")
def test_the_standby_relay_takes_over_from_a_killed_active_one_without_losing_an_event(
    processes: Callable[..., Process],
) -> None:
    relays = [processes("relay-1", "relay_events"), processes("relay-2", "relay_events")]
    wait_until(lambda: any("relay: active" in r.output() for r in relays), 90, "one relay to become active", *relays)
    active = next(r for r in relays if "relay: active" in r.output())
    standby = next(r for r in relays if r is not active)
    wait_until(standby_waiting, 30, "the other relay to wait as a standby", *relays)

    events = [emit_order_created(f"failover-{n}", total="1.00") for n in range(60)]
    wait_until(lambda: published() > 0, 20, "the active relay to publish", *relays)
    active.stop(signal.SIGKILL)  # mid-flow: events are still being written and published
    killed_at = time.monotonic()
    events += [emit_order_created(f"failover-{n}", total="1.00") for n in range(60, 120)]
    wait_until(lambda: "relay: active" in standby.output(), 10, "the standby to take over", standby)
    assert time.monotonic() - killed_at < 6  # within a few seconds (the standby polls every 2 s)
    wait_until(lambda: published() == 120, 30, "every outbox row to be published", standby)

    assert standby.stop() == 0, standby.output()  # SIGTERM: the batch in hand is finished and marked
    assert "relay: stopped after publishing" in standby.output()

    # At least once on Kafka (a batch the killed relay sent but did not mark is sent again) ...
    wanted = {str(e.event_id) for e in events}
    received = read_topic(orders_topic(), wanted_event_ids=wanted, timeout=30)
    assert {dict(r.headers)["event_id"].decode() for r in received} == wanted
    # ... and exactly once in the consumer's effects.
    stats = ConsumerRunner(SalesProjection(), retry_backoff=0.01).run(threading.Event(), until_idle=True)
    assert stats.applied == 120
    assert DailySales.objects.get().orders_placed == 120
