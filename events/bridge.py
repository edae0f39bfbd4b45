"""The bridge from domain signals to the outbox.

An app declares its domain signals in its `signals.py`:

    user_registered = DomainSignal("user.registered", aggregate_type="user")

and its services send them inside the transaction of the change:

    user_registered.send_event(sender=User, aggregate_id=str(user.pk), payload=UserRegistered(...))

The receiver below writes the outbox row in that same transaction, so the event exists if and
only if the change committed. Without Kafka (EVENTS_IN_PROCESS_DISPATCH) it also has the row
delivered to the consumers in-process once the transaction commits (events/dispatch.py). The
events app never imports the apps above it: each DomainSignal connects the receiver itself.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import Signal
from django.utils import timezone
from google.protobuf.message import Message

from core.db.statements import statement_cursor
from events.contracts import pack_envelope, payload_class
from events.dispatch import after_commit_registered, dispatch_after_commit
from events.models import OutboxEvent
from events.tracing import current_trace_context
from proto.events.v1.envelope_pb2 import EventEnvelope

# The relay LISTENs on this channel; Postgres delivers the NOTIFY only when the transaction commits.
OUTBOX_CHANNEL = "events_outbox"  # also spelled out in the SQL below


class EventOutsideTransaction(RuntimeError):
    code = "event_outside_transaction"


class DomainSignal(Signal):
    """A Django signal that is also a domain event type, recorded in the outbox when sent."""

    def __init__(self, event_type: str, *, aggregate_type: str) -> None:
        super().__init__()
        self.payload_class = payload_class(event_type)  # an unknown type fails at import time
        self.event_type = event_type
        self.aggregate_type = aggregate_type
        self.connect(record_in_outbox, weak=False, dispatch_uid=f"outbox:{event_type}")

    def send_event(self, sender: Any, *, aggregate_id: str, payload: Message, correlation_id: str = "") -> OutboxEvent:
        """Send the signal (receivers run now, inside the caller's transaction) and return the
        outbox row that records the event."""
        replies = self.send(sender, aggregate_id=aggregate_id, payload=payload, correlation_id=correlation_id)
        return cast(OutboxEvent, next(reply for receiver, reply in replies if receiver is record_in_outbox))

    def send_recorded(self, sender: Any, *, event: "PreparedEvent", payload: Message, correlation_id: str = "") -> None:
        """Send the signal of an event the caller's own statement wrote (`prepare_event`,
        `outbox_insert_sql`, `outbox_written`): the in-process receivers run as for `send_event`,
        the outbox's writes nothing (the row is written)."""
        self.send(
            sender, aggregate_id=event.aggregate_id, payload=payload, correlation_id=correlation_id, recorded=True
        )


def record_in_outbox(
    sender: Any,
    *,
    signal: DomainSignal,
    aggregate_id: str,
    payload: Message,
    correlation_id: str = "",
    recorded: bool = False,
    **kwargs: Any,
) -> OutboxEvent | None:
    if recorded:  # written by the sender's own statement (DomainSignal.send_recorded)
        return None
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the event could outlive a change that fails right after it.
        raise EventOutsideTransaction(
            f"{signal.event_type} must be sent inside the transaction of the change it describes"
        )
    prepared = prepare_event(signal, aggregate_id=aggregate_id, payload=payload, correlation_id=correlation_id)
    fields: dict[str, Any] = {
        "event_id": prepared.event_id,
        "event_type": prepared.event_type,
        "aggregate_type": prepared.aggregate_type,
        "aggregate_id": prepared.aggregate_id,
        "payload": prepared.payload,
        "occurred_at": prepared.occurred_at,
    }
    notify = connection.vendor == "postgresql" and notify_needed()
    if connection.vendor != "postgresql":
        event = OutboxEvent.objects.create(**fields)
    else:
        # One round trip: the transaction's NOTIFY rides on its first event's INSERT.
        cursor = statement_cursor()  # prepared once per connection (core.db.statements)
        cursor.execute(_INSERT_NOTIFY if notify else _INSERT, list(fields.values()))
        (pk,) = cursor.fetchone()
        event = OutboxEvent(id=pk, **fields)
        event._state.adding, event._state.db = False, connection.alias
    outbox_written(notified=notify)
    return event


_INTO = (
    "INSERT INTO events_outboxevent "
    "(event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at, publish_attempts, last_error) "
)
_INSERT = _INTO + "VALUES (%s, %s, %s, %s, %s, %s, 0, '') RETURNING id"
_INSERT_NOTIFY = "WITH event AS ({insert}) SELECT id FROM event, pg_notify('events_outbox', '')".replace(
    "{insert}", _INSERT
)
_INSERT_MANY = _INTO + (
    "SELECT e.event_id, e.event_type, e.aggregate_type, e.aggregate_id, e.payload, e.occurred_at, 0, '' "
    "FROM unnest(%(outbox_ids)s::uuid[], %(outbox_types)s::text[], %(outbox_aggregate_types)s::text[], "
    "%(outbox_aggregate_ids)s::text[], %(outbox_payloads)s::bytea[], %(outbox_times)s::timestamptz[]) "
    "WITH ORDINALITY AS e(event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at, n) "
    "WHERE {when} ORDER BY e.n RETURNING id"
)
_NOTIFY_IF = "CASE WHEN EXISTS (SELECT 1 FROM {written}) THEN pg_notify('events_outbox', '') END"


@dataclass(frozen=True)
class PreparedEvent:
    """An outbox row built but not written yet: for a service that writes its change and its events
    in one SQL statement (`outbox_insert_sql`)."""

    event_id: uuid.UUID
    event_type: str
    aggregate_type: str
    aggregate_id: str
    payload: bytes
    occurred_at: datetime


def _new_envelope(
    signal: DomainSignal, aggregate_id: str, payload: Message, correlation_id: str
) -> tuple[uuid.UUID, datetime, EventEnvelope]:
    """A fresh event id and time, and the envelope of one event of `signal` carrying them."""
    event_id = uuid.uuid4()
    occurred_at = timezone.now()
    envelope = pack_envelope(
        event_id=str(event_id),
        event_type=signal.event_type,
        occurred_at=occurred_at,
        aggregate_type=signal.aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        correlation_id=correlation_id,
        trace_context=current_trace_context(),  # the trace goes on in the relay and the consumers
    )
    return event_id, occurred_at, envelope


def prepare_event(
    signal: DomainSignal, *, aggregate_id: str, payload: Message, correlation_id: str = ""
) -> PreparedEvent:
    """The outbox row of one event of `signal`, not written yet."""
    event_id, occurred_at, envelope = _new_envelope(signal, aggregate_id, payload, correlation_id)
    return PreparedEvent(
        event_id, signal.event_type, signal.aggregate_type, aggregate_id, envelope.SerializeToString(), occurred_at
    )


@dataclass(frozen=True)
class EnvelopeFrame:
    """The envelope of one event without its payload's bytes, for a statement that writes the
    payload itself (PostgreSQL composing it from rows): the serialized envelope is `head`, then
    the payload's Any field (tag `PAYLOAD_TAG`, length, then the Any: type URL and value), then
    `tail`, the order protobuf writes the fields in (by number), so the bytes are those of
    `prepare_event` for the same payload."""

    event_id: uuid.UUID
    occurred_at: datetime
    head: bytes
    tail: bytes
    type_url: str


# The tag of EventEnvelope.payload: field 7, length-delimited (wire type 2).
PAYLOAD_TAG = EventEnvelope.DESCRIPTOR.fields_by_name["payload"].number << 3 | 2


def frame_event(signal: DomainSignal, *, aggregate_id: str, correlation_id: str = "") -> EnvelopeFrame:
    """The envelope of one event of `signal` around a payload written elsewhere (see EnvelopeFrame)."""
    event_id, occurred_at, envelope = _new_envelope(signal, aggregate_id, signal.payload_class(), correlation_id)
    payload_number = EventEnvelope.DESCRIPTOR.fields_by_name["payload"].number
    head, tail = EventEnvelope(), EventEnvelope()
    for descriptor, value in envelope.ListFields():
        if descriptor.number != payload_number:
            part = head if descriptor.number < payload_number else tail
            if descriptor.message_type is not None:
                getattr(part, descriptor.name).CopyFrom(value)
            else:
                setattr(part, descriptor.name, value)
    return EnvelopeFrame(
        event_id, occurred_at, head.SerializeToString(), tail.SerializeToString(), envelope.payload.type_url
    )


def outbox_insert_sql(events: Sequence[PreparedEvent], *, when: str) -> tuple[str, dict[str, Any]]:
    """PostgreSQL only: a data-modifying statement (for a WITH clause) that writes these events, in
    this order, when the SQL condition `when` holds, returning their ids; and its parameters. The
    caller runs it in the one statement (or transaction) of the change the events describe, adds
    `notify_sql` to its statement when `notify_needed()`, then calls `outbox_written`."""
    sql = _INSERT_MANY.format(when=when)
    params = {
        "outbox_ids": array_literal(str(event.event_id) for event in events),
        "outbox_types": array_literal(event.event_type for event in events),
        "outbox_aggregate_types": array_literal(event.aggregate_type for event in events),
        "outbox_aggregate_ids": array_literal(event.aggregate_id for event in events),
        "outbox_payloads": array_literal("\\x" + event.payload.hex() for event in events),
        "outbox_times": array_literal(event.occurred_at.isoformat() for event in events),
    }
    return sql, params


def array_literal(values: Iterable[str]) -> str:
    """Strings as one PostgreSQL array literal, each element quoted, for a parameter the SQL casts
    (`%(name)s::text[]`, `::uuid[]`, `::bytea[]` of `\\x`-hex, `::timestamptz[]` of ISO times). One
    string parameter costs psycopg a fraction of what a list costs: a list is inspected element
    by element on every call to choose its array type."""
    return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"


def notify_sql(written: str) -> str:
    """An SQL expression that wakes the relay when the CTE named `written` wrote an event."""
    return _NOTIFY_IF.format(written=written)


def notify_needed(db: BaseDatabaseWrapper | None = None) -> bool:
    """Whether the next event needs a NOTIFY: once per transaction, since Postgres delivers one at
    the commit however many were sent (a statement outside a transaction is one of its own). The
    transaction's after-commit callback marks it: a savepoint rolled back takes the callback with
    it, as Postgres drops a NOTIFY sent inside it. (`db`: the default database's connection, when
    the caller has it: each lookup costs a few µs.)"""
    db = transaction.get_connection() if db is None else db
    return not (db.in_atomic_block and after_commit_registered())


def outbox_written(*, notified: bool, db: BaseDatabaseWrapper | None = None) -> None:
    """What follows writing events: mark the transaction as notified, and without Kafka (the
    embedded mode) have the consumers get the events after the commit."""
    if settings.EVENTS_IN_PROCESS_DISPATCH:
        dispatch_after_commit()  # no Kafka (the embedded mode): the consumers get it after the commit
    elif notified and (transaction.get_connection() if db is None else db).in_atomic_block:
        dispatch_after_commit(deliver=False)
