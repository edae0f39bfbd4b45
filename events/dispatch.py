"""In-process delivery of domain events for the embedded mode, where there is no Kafka.

Without Kafka the relay has nowhere to publish, so reactions that travel as events (a shipment for
a confirmed order, an order confirmed by `payment.authorized`) would never happen. With
`EVENTS_IN_PROCESS_DISPATCH` on (the default exactly when `KAFKA_BOOTSTRAP_SERVERS` is empty), a
transaction that records events registers one `on_commit` callback; after the commit it delivers
the pending outbox rows, oldest first, to every discovered consumer that handles their type,
through the Kafka consumer's own path (`apply_with_retries`: inbox row and effect in one
transaction, retries, then a dead letter), and marks the rows published as the relay does.
Why this way: docs/decisions/0012-in-process-event-dispatch.md.
"""

import logging
import threading
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from events.applying import HandlerGaveUp, InfrastructureFailure, apply_with_retries
from events.consumer import ConsumedEvent, EventConsumer, discover_consumers
from events.contracts import InvalidEventPayload, UnknownEventType, family_of, unpack_envelope
from events.kafka import topic_for_family
from events.models import OutboxEvent
from events.services import record_dead_letter
from events.tracing import consuming

logger = logging.getLogger(__name__)

# Rounds of events sent by handlers of the previous round's events: a bound on chains, so two
# handlers that keep answering each other cannot hold a request forever.
MAX_ROUNDS = 10
# A request waits for these retries, so they are shorter than a Kafka consumer's.
RETRY_BACKOFF_SECONDS = 0.05
# An event still pending this long after it occurred was not delivered after its commit (the
# probe, config/health.py, reports such events as undelivered). Seconds: the transaction that
# recorded it, then the dispatch of whatever was pending before it.
UNDELIVERED_AFTER_SECONDS = 10
# Dead letters of in-process deliveries name no Kafka partition; their offset is the outbox id,
# which keeps them unique per group and event like the consumer's (topic, partition, offset).
IN_PROCESS_PARTITION = -1

Row = tuple[int, UUID, str, str, bytes | memoryview]  # id, event_id, event_type, aggregate_id, payload

_local = threading.local()


@dataclass
class DispatchStats:
    delivered: int = 0  # outbox rows marked published
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    rounds: int = 0


class _DispatchAfterCommit:
    """The on_commit callback of one transaction that recorded events. It remembers having run
    because a test's captured callbacks stay in the connection's list after running. Its presence
    also tells the bridge that the transaction sent its NOTIFY (`deliver` off: nothing to run)."""

    def __init__(self, *, deliver: bool = True) -> None:
        self.ran = False
        self.deliver = deliver

    def __call__(self) -> None:
        self.ran = True
        if self.deliver:
            dispatch_committed()


def after_commit_registered() -> bool:
    """Whether the current transaction (as it stands: a savepoint rolled back takes its callbacks
    with it) already registered its callback."""
    connection = transaction.get_connection()
    # Look in the live list rather than keep a flag that could outlive the registration.
    return any(isinstance(entry[1], _DispatchAfterCommit) and not entry[1].ran for entry in connection.run_on_commit)


def dispatch_after_commit(*, deliver: bool = True) -> None:
    """Deliver the pending events once the current transaction commits (`deliver` off: only mark
    the transaction); the bridge calls this for every event it records, and one transaction
    registers one callback however many it sends."""
    if not after_commit_registered():
        transaction.on_commit(_DispatchAfterCommit(deliver=deliver))


def dispatch_committed() -> None:
    """Deliver what is pending, never raising: the caller's change has committed and its response
    must not fail because a reaction did. What is not delivered stays pending for the next commit
    or `manage.py relay_events`; what a handler keeps failing on becomes a dead letter."""
    try:
        dispatch_pending()
    except (InfrastructureFailure, DatabaseError) as exc:
        logger.warning("in-process dispatch: %s; the events stay pending", exc)
    except Exception:
        logger.exception("in-process dispatch failed; the events stay pending")


def dispatch_pending(*, max_rounds: int = MAX_ROUNDS) -> DispatchStats:
    """Deliver every pending outbox event to the consumers that handle it, in id order.

    A round takes the rows pending when it starts; the events its handlers send (committed with
    their effects) make the next round. Raises InfrastructureFailure when the database fails.
    """
    stats = DispatchStats()
    if getattr(_local, "running", False):
        # A handler's own events just committed inside a running dispatch, which will pick them up
        # in its next round: delivering them here would recurse once per link of the chain.
        return stats
    _local.running = True
    try:
        consumers = [consumer_class() for consumer_class in discover_consumers().values()]
        while (last_id := _pending().aggregate(last=Max("id"))["last"]) is not None:
            if stats.rounds == max_rounds:
                logger.warning(
                    "in-process dispatch: stopped after %d rounds of events sending events (a handler "
                    "loop?); %d events stay pending",
                    max_rounds,
                    _pending().count(),
                )
                break
            stats.rounds += 1
            _deliver_round(consumers, last_id, stats)
    finally:
        _local.running = False
    if stats.applied or stats.dead_lettered:
        logger.info(
            "in-process dispatch: %d events delivered, %d applied, %d duplicates, %d dead-lettered",
            stats.delivered,
            stats.applied,
            stats.duplicates,
            stats.dead_lettered,
        )
    return stats


def _pending() -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.filter(published_at__isnull=True)


def _deliver_round(consumers: list[EventConsumer], last_id: int, stats: DispatchStats) -> None:
    after = 0
    while True:
        rows: list[Row] = list(
            _pending()
            .filter(id__gt=after, id__lte=last_id)
            .order_by("id")
            .values_list("id", "event_id", "event_type", "aggregate_id", "payload")[: settings.EVENTS_RELAY_BATCH_SIZE]
        )
        if not rows:
            return
        for row in rows:
            _deliver(row, consumers, stats)
        # Marked after the batch, like the relay: a failure before this redelivers the batch and
        # the inboxes drop what was already applied.
        stats.delivered += OutboxEvent.objects.filter(
            id__in=[row[0] for row in rows], published_at__isnull=True
        ).update(published_at=timezone.now())
        after = rows[-1][0]


def _deliver(row: Row, consumers: list[EventConsumer], stats: DispatchStats) -> None:
    event_type, payload = row[2], row[4]
    interested = [consumer for consumer in consumers if consumer.handler_for(event_type) is not None]
    if not interested:
        return
    try:
        envelope, message = unpack_envelope(bytes(payload))
    except (InvalidEventPayload, UnknownEventType) as exc:
        for consumer in interested:
            _dead_letter(consumer, row, exc.code, str(exc), attempts=1, stats=stats)
        return
    event = ConsumedEvent(envelope, message)
    for consumer in interested:
        try:
            with consuming(consumer.group, envelope, system="in-process"):
                applied = apply_with_retries(
                    consumer,
                    event,
                    max_attempts=settings.EVENTS_CONSUMER_MAX_ATTEMPTS,
                    retry_backoff=RETRY_BACKOFF_SECONDS,
                )
        except HandlerGaveUp as exc:
            _dead_letter(consumer, row, exc.code, exc.error, attempts=exc.attempts, stats=stats)
            continue
        if applied:
            stats.applied += 1
        else:
            stats.duplicates += 1


def _dead_letter(
    consumer: EventConsumer, row: Row, code: str, error: str, *, attempts: int, stats: DispatchStats
) -> None:
    """Set the event aside for the group as its Kafka consumer would, so the admin's retry action
    runs it again later; the row still counts as delivered."""
    outbox_id, event_uuid, event_type, aggregate_id, payload = row
    event_id = str(event_uuid)
    headers = [("event_id", event_id.encode()), ("event_type", event_type.encode())]
    try:
        record_dead_letter(
            consumer_group=consumer.group,
            topic=topic_for_family(family_of(event_type)),
            partition=IN_PROCESS_PARTITION,
            offset=outbox_id,
            key=aggregate_id.encode(),
            value=bytes(payload),
            headers=headers,
            error_code=code,
            error=error,
            attempts=attempts,
            event_id=event_id,
            event_type=event_type,
        )
    except DatabaseError as exc:
        raise InfrastructureFailure(f"database unavailable: {exc}") from exc
    stats.dead_lettered += 1
    logger.warning(
        "in-process dispatch: %s dead-lettered %s (outbox %d): %s %s",
        consumer.group,
        event_type,
        outbox_id,
        code,
        error,
    )
