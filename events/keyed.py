"""Events whose aggregate id only the SQL statement that writes them knows (a row id it draws from
its sequence), the id also being the payload's field 1: the envelope built and serialized in Python
around that gap, and the SQL that splices the id in, giving the bytes `bridge.prepare_event` would
have given. Used by the one-statement reservations (inventory/services/first_reservation.py)."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.message import Message

from events.bridge import DomainSignal
from events.contracts import pack_envelope, payload_class, set_timestamp
from events.tracing import current_trace_context
from proto.events.v1.envelope_pb2 import EventEnvelope


@dataclass(frozen=True)
class KeyedEvent:
    """An event whose aggregate id is known only to the SQL statement that writes it (a row id the
    statement draws from its sequence), and is also the payload's field 1 (a string): the envelope
    built and serialized in Python around that one gap. `keyed_payload_sql` splices the id in,
    giving the bytes `prepare_event` would have given (the fields in number order)."""

    event_id: uuid.UUID
    event_type: str
    aggregate_type: str
    occurred_at: datetime
    head: bytes  # envelope fields 1-4 (event_id .. aggregate_type)
    middle: bytes  # field 6 (schema_version)
    tail: bytes  # fields 8-10 (producer, correlation_id, trace context)
    any_head: bytes  # the payload Any's field 1 (type_url)
    rest: bytes  # the payload without its field 1

    @property
    def fits(self) -> bool:
        """Whether the statement's two-byte length prefixes can hold it (the key is a bigint)."""
        return len(self.any_head) + len(self.rest) + 2 * 22 < 16384


def prepare_keyed_event(signal: DomainSignal, *, payload: Message, correlation_id: str = "") -> KeyedEvent:
    """The outbox row of one event of `signal` whose aggregate id (also the payload's field 1,
    left empty here) the writing statement fills in (`keyed_payload_sql`). The envelope has what
    `pack_envelope` gives it; only its head (id, type, time) is serialized on every call."""
    if type(payload) is not signal.payload_class:
        raise ValueError(f"{signal.event_type!r} carries {signal.payload_class.DESCRIPTOR.full_name}")
    event_id = uuid.uuid4()
    occurred_at = timezone.now()
    head = EventEnvelope(event_id=str(event_id), event_type=signal.event_type, aggregate_type=signal.aggregate_type)
    set_timestamp(head.occurred_at, occurred_at)
    trace_context = current_trace_context()
    constant = _envelope_parts(
        signal.event_type, correlation_id, trace_context.get("traceparent", ""), trace_context.get("tracestate", "")
    )
    return KeyedEvent(
        event_id,
        signal.event_type,
        signal.aggregate_type,
        occurred_at,
        head.SerializeToString(),
        constant[0],
        constant[1],
        constant[2],
        payload.SerializeToString(),
    )


@functools.lru_cache(maxsize=64)
def _envelope_parts(
    event_type: str, correlation_id: str, traceparent: str, tracestate: str
) -> tuple[bytes, bytes, bytes]:
    """The parts of a KeyedEvent's envelope that are the same for every event of its payload
    type, correlation and trace: (middle, tail, any_head), taken from what pack_envelope builds."""
    envelope = pack_envelope(
        event_id="",
        event_type=event_type,
        occurred_at=timezone.now(),
        aggregate_type="",
        aggregate_id="",
        payload=payload_class(event_type)(),
        correlation_id=correlation_id,
        trace_context={"traceparent": traceparent, "tracestate": tracestate},
    )
    tail = EventEnvelope(
        producer=envelope.producer,
        correlation_id=envelope.correlation_id,
        traceparent=envelope.traceparent,
        tracestate=envelope.tracestate,
    )
    return (
        EventEnvelope(schema_version=envelope.schema_version).SerializeToString(),
        tail.SerializeToString(),
        AnyMessage(type_url=envelope.payload.type_url).SerializeToString(),
    )


def _varint_sql(length: str) -> str:
    """A protobuf length prefix (below 16384: one or two bytes) as a bytea expression."""
    return (
        f"CASE WHEN {length} < 128 THEN set_byte('\\x00', 0, {length}) "
        f"ELSE set_byte(set_byte('\\x0000', 0, mod({length}, 128) + 128), 1, {length} / 128) END"
    )


def keyed_payload_sql(key: str, prefix: str) -> tuple[str, str]:
    """The serialized envelope of a KeyedEvent in SQL, `key` the SQL text (below 128 bytes) of its
    aggregate id: (joins, expression), the joins to add to the FROM clause where `key` is in scope
    and the expression that is then the envelope; its parts are the parameters
    `keyed_event_params(event, prefix)`."""
    p = prefix
    joins = (
        f"CROSS JOIN LATERAL (SELECT set_byte('\\x00', 0, octet_length({key})) || convert_to({key}, 'UTF8') AS f) {p}k "
        f"CROSS JOIN LATERAL (SELECT '\\x0a'::bytea || {p}k.f || %({p}_rest)s::bytea AS v) {p}v "
        f"CROSS JOIN LATERAL (SELECT %({p}_any)s::bytea || '\\x12'::bytea || "
        f"{_varint_sql(f'octet_length({p}v.v)')} || {p}v.v AS a) {p}a"
    )
    expression = (
        f"%({p}_head)s::bytea || '\\x2a'::bytea || {p}k.f || %({p}_middle)s::bytea || '\\x3a'::bytea || "
        f"{_varint_sql(f'octet_length({p}a.a)')} || {p}a.a || %({p}_tail)s::bytea"
    )
    return joins, expression


def _varint(length: int) -> bytes:
    """A protobuf length prefix (below 16384, as `_varint_sql`)."""
    return bytes([length]) if length < 128 else bytes([length % 128 + 128, length // 128])


def keyed_event_params_for(event: KeyedEvent, prefix: str, digits: int) -> dict[str, Any]:
    """The parameters of `KEYED_PAYLOAD_FOR_DIGITS`: the envelope of a KeyedEvent serialized in
    Python for an aggregate id of `digits` characters (1 to 127), in three pieces around its two
    copies (the envelope's aggregate id, the payload's field 1). The statement only concatenates
    them with the id; it must refuse an id of another length (the lengths inside would be wrong).
    The splice of `keyed_payload_sql`, which works out every length in SQL, was a fifth of the
    writing statement's CPU (its subqueries are inlined, so each length expression is built
    again in each place it is used)."""
    value_length = 2 + digits + len(event.rest)  # tag, length, the id, the rest of the payload
    any_length = len(event.any_head) + 1 + len(_varint(value_length)) + value_length
    return {
        f"{prefix}_p1": event.head + b"\x2a" + bytes([digits]),
        f"{prefix}_p2": event.middle
        + b"\x3a"
        + _varint(any_length)
        + event.any_head
        + b"\x12"
        + _varint(value_length)
        + b"\x0a"
        + bytes([digits]),
        f"{prefix}_p3": event.rest + event.tail,
        f"{prefix}_digits": digits,
    }


def keyed_payload_for_digits_sql(key: str, prefix: str) -> str:
    """The envelope of `keyed_event_params_for(event, prefix, digits)` around `key`, the aggregate
    id's SQL text (a text expression of exactly `digits` characters, which the statement checks)."""
    p, k = prefix, f"convert_to({key}, 'UTF8')"
    return f"%({p}_p1)s::bytea || {k} || %({p}_p2)s::bytea || {k} || %({p}_p3)s::bytea"


def keyed_event_params(event: KeyedEvent, prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}_head": event.head,
        f"{prefix}_middle": event.middle,
        f"{prefix}_tail": event.tail,
        f"{prefix}_any": event.any_head,
        f"{prefix}_rest": event.rest,
    }
