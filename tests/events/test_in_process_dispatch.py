"""Without Kafka, events reach the consumers in-process once the transaction commits: once each,
through the consumer's inbox, onward along chains, and never failing the caller that sent them."""

import io
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction

from events.applying import apply_with_retries
from events.bridge import DomainSignal
from events.consumer import ConsumedEvent, EventConsumer
from events.contracts import unpack_envelope
from events.dispatch import IN_PROCESS_PARTITION, MAX_ROUNDS, dispatch_pending
from events.models import DeadLetter, DeadLetterStatus, OutboxEvent, ProcessedEvent
from events.selectors import outbox_backlog
from events.services import retry_dead_letter
from proto.events.v1 import users_pb2
from tests.support import REPO, environment_without_services

pytestmark = pytest.mark.django_db(transaction=True)

# Test-only signals and consumers on user events, which no app of the suite consumes, so its own
# consumers stay out of the way.
user_registered = DomainSignal("user.registered", aggregate_type="user")
user_updated = DomainSignal("user.updated", aggregate_type="user")

handled: list[tuple[str, str]] = []  # (group, event id) of every handler run, failed ones included
faults: dict[str, Exception] = {}  # email -> what the welcome handler raises for it


class Welcome(EventConsumer):
    """Its effect is a user.updated event, recorded in the outbox in the handler's transaction."""

    group = "tests.dispatch.welcome"

    def on_user_registered(self, event: ConsumedEvent) -> None:
        payload = cast(users_pb2.UserRegistered, event.payload)
        handled.append((self.group, event.event_id))
        if payload.email in faults:
            raise faults[payload.email]
        user_updated.send_event(
            sender=None,
            aggregate_id=payload.user_id,
            payload=users_pb2.UserUpdated(user_id=payload.user_id, email=payload.email, changed_fields=["welcomed"]),
        )


class Audit(EventConsumer):
    """Consumes what Welcome sends; answers a "loop" change with another one, forever."""

    group = "tests.dispatch.audit"

    def on_user_updated(self, event: ConsumedEvent) -> None:
        payload = cast(users_pb2.UserUpdated, event.payload)
        handled.append((self.group, event.event_id))
        if "loop" in payload.changed_fields:
            user_updated.send_event(sender=None, aggregate_id=payload.user_id, payload=payload)


@pytest.fixture(autouse=True)
def in_process_dispatch(settings: Any) -> None:
    settings.EVENTS_IN_PROCESS_DISPATCH = True
    handled.clear()
    faults.clear()


def registration(user_id: str, email: str = "") -> users_pb2.UserRegistered:
    return users_pb2.UserRegistered(user_id=user_id, email=email or f"{user_id}@example.com")


def register(user_id: str, email: str = "") -> OutboxEvent:
    """One committed transaction that sends user.registered (the caller of the dispatch)."""
    with transaction.atomic():
        return user_registered.send_event(sender=None, aggregate_id=user_id, payload=registration(user_id, email))


def runs_of(group: str) -> list[str]:
    return [event_id for handled_group, event_id in handled if handled_group == group]


def test_a_committed_event_is_applied_once_and_marked_published() -> None:
    event = register("u-1")

    assert runs_of(Welcome.group) == [str(event.event_id)]
    assert ProcessedEvent.objects.filter(consumer_group=Welcome.group, event_id=event.event_id).count() == 1
    event.refresh_from_db()
    assert event.published_at is not None
    assert outbox_backlog() == {"pending": 0, "oldest_pending_age_seconds": 0.0}  # the admin's lag


def test_one_transaction_registers_one_dispatch_and_its_events_arrive_in_order() -> None:
    with transaction.atomic():
        events = [
            user_registered.send_event(sender=None, aggregate_id=f"u-{n}", payload=registration(f"u-{n}"))
            for n in range(3)
        ]
        assert len(connection.run_on_commit) == 1
        assert handled == []  # nothing before the commit

    assert runs_of(Welcome.group) == [str(event.event_id) for event in events]


def test_a_rolled_back_transaction_dispatches_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        register("u-1")
        raise RuntimeError("the change failed")
    assert handled == [] and not OutboxEvent.objects.exists()

    # A savepoint rolled back takes its event and its callback; the transaction's next event
    # registers again.
    with transaction.atomic():
        try:
            with transaction.atomic():
                register("u-2")
                raise RuntimeError("this part failed")
        except RuntimeError:
            pass
        kept = register("u-3")
    assert runs_of(Welcome.group) == [str(kept.event_id)]


def test_a_handlers_own_event_is_dispatched_onward() -> None:
    event = register("u-4")

    follow_up = OutboxEvent.objects.get(event_type="user.updated")
    assert handled == [(Welcome.group, str(event.event_id)), (Audit.group, str(follow_up.event_id))]
    assert ProcessedEvent.objects.filter(consumer_group=Audit.group, event_id=follow_up.event_id).exists()
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_events_that_keep_causing_events_stop_after_a_bound_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="events.dispatch"), transaction.atomic():
        user_updated.send_event(
            sender=None, aggregate_id="u-5", payload=users_pb2.UserUpdated(user_id="u-5", changed_fields=["loop"])
        )

    assert len(runs_of(Audit.group)) == MAX_ROUNDS
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1  # the next link waits
    assert f"stopped after {MAX_ROUNDS} rounds" in caplog.text


def test_a_failing_handler_does_not_fail_the_caller_and_is_dead_lettered(settings: Any) -> None:
    settings.EVENTS_CONSUMER_MAX_ATTEMPTS = 3
    faults["broken@example.com"] = ValueError("no welcome template")

    event = register("u-6", "broken@example.com")  # returns: the change committed

    assert runs_of(Welcome.group) == [str(event.event_id)] * 3  # retried like the Kafka consumer does
    dead = DeadLetter.objects.get()
    assert (dead.consumer_group, dead.error_code, dead.attempts, dead.event_id, dead.event_type) == (
        Welcome.group,
        "handler_failed",
        3,
        str(event.event_id),
        "user.registered",
    )
    assert (dead.partition, dead.offset) == (IN_PROCESS_PARTITION, event.pk)
    assert "no welcome template" in dead.error
    assert not ProcessedEvent.objects.filter(consumer_group=Welcome.group).exists()  # nothing half-applied
    assert not OutboxEvent.objects.filter(event_type="user.updated").exists()
    # Delivered, as on Kafka: the relay published it and the group set it aside for a retry.
    event.refresh_from_db()
    assert event.published_at is not None

    # The admin's retry applies it once the fault is gone, and its own event goes onward.
    faults.clear()
    retry_dead_letter(dead.pk)
    dead.refresh_from_db()
    assert dead.status == DeadLetterStatus.RETRIED
    follow_up = OutboxEvent.objects.get(event_type="user.updated")
    assert runs_of(Audit.group) == [str(follow_up.event_id)]


def test_a_database_failure_leaves_the_event_pending_for_later(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    faults["locked@example.com"] = OperationalError("database is locked")
    with caplog.at_level(logging.WARNING, logger="events.dispatch"):
        event = register("u-7", "locked@example.com")  # returns: the change committed

    assert runs_of(Welcome.group) == [str(event.event_id)]  # an outage is not retried on the spot
    assert not DeadLetter.objects.exists()  # nor the event's fault
    event.refresh_from_db()
    assert event.published_at is None
    assert "database unavailable: database is locked" in caplog.text and "stay pending" in caplog.text

    faults.clear()
    settings.KAFKA_BOOTSTRAP_SERVERS = []
    out = io.StringIO()
    call_command("relay_events", stdout=out)
    assert "delivered 2 pending events in-process (2 applied, 0 duplicates, 0 dead-lettered)" in out.getvalue()
    assert outbox_backlog()["pending"] == 0


def test_an_event_applied_twice_changes_nothing_the_second_time() -> None:
    event = register("u-8")
    before = (list(handled), OutboxEvent.objects.count(), ProcessedEvent.objects.count())

    # Replayed through the Kafka consumer's path...
    envelope, payload = unpack_envelope(bytes(OutboxEvent.objects.get(pk=event.pk).payload))
    assert apply_with_retries(Welcome(), ConsumedEvent(envelope, payload), max_attempts=1, retry_backoff=0) is False
    # ...and dispatched again, as when a process died before marking its rows published.
    OutboxEvent.objects.update(published_at=None)
    stats = dispatch_pending()

    assert (stats.applied, stats.duplicates, stats.delivered) == (0, 2, 2)
    assert (list(handled), OutboxEvent.objects.count(), ProcessedEvent.objects.count()) == before


def test_with_the_switch_off_events_stay_in_the_outbox(settings: Any) -> None:
    settings.EVENTS_IN_PROCESS_DISPATCH = False
    event = register("u-9")

    assert handled == []
    event.refresh_from_db()
    assert event.published_at is None


@pytest.mark.django_db  # inside the test's transaction: the callbacks only run when captured
def test_captured_on_commit_callbacks_dispatch_each_block(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = register("u-10")
    with django_capture_on_commit_callbacks(execute=True):
        second = register("u-11")

    assert runs_of(Welcome.group) == [str(first.event_id), str(second.event_id)]
    assert len(runs_of(Audit.group)) == 2


def settings_of(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings; print(settings.EVENTS_IN_PROCESS_DISPATCH)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment_without_services(
            DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", DATA_DIR=str(tmp_path), **env
        ),
    )


@pytest.mark.django_db(transaction=False)
def test_the_switch_is_on_exactly_when_there_is_no_kafka(tmp_path: Path) -> None:
    assert settings_of(tmp_path).stdout.strip() == "True"  # the embedded mode
    assert settings_of(tmp_path, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9092").stdout.strip() == "False"
    assert settings_of(tmp_path, EVENTS_IN_PROCESS_DISPATCH="0").stdout.strip() == "False"
    both = settings_of(tmp_path, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9092", EVENTS_IN_PROCESS_DISPATCH="1")
    assert both.returncode != 0 and "EVENTS_IN_PROCESS_DISPATCH is for running without Kafka" in both.stderr
