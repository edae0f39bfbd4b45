"""The trace context of domain events: one trace from the change that records an event, through
the relay, to the consumers that apply it.

- The bridge stamps the current W3C Trace Context into the envelope (`traceparent`,
  `tracestate`) when it writes the outbox row, inside the transaction of the change.
- The relay opens a PRODUCER span per message as a child of that context and sends the span's
  context in the Kafka headers of the same names.
- The Kafka consumer continues from the headers (the envelope when a producer outside the relay
  left them out), the in-process dispatch from the envelope; both apply the event inside a
  CONSUMER span that is a child of it, so the handler's queries and log lines join the trace.

With tracing off (core/tracing.py) the API is a no-op: nothing is stamped, and a context that
arrives is passed on unchanged.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from proto.events.v1.envelope_pb2 import EventEnvelope

TRACE_FIELDS = ("traceparent", "tracestate")

tracer = trace.get_tracer("commerce.events")


def current_trace_context() -> dict[str, str]:
    """The W3C Trace Context of the current span ({} when nothing is traced)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: carrier[name] for name in TRACE_FIELDS if carrier.get(name)}


def envelope_trace_context(envelope: EventEnvelope) -> dict[str, str]:
    return {name: value for name in TRACE_FIELDS if (value := getattr(envelope, name))}


def stored_trace_context(payload: bytes) -> dict[str, str]:
    """The trace context in a serialized envelope, read without unpacking the payload ({} if it
    does not parse: the consumer will dead-letter it, the relay still publishes it)."""
    envelope = EventEnvelope()
    try:
        envelope.ParseFromString(payload)
    except Exception:
        return {}
    return envelope_trace_context(envelope)


def header_trace_context(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    found = {name: value.decode("latin-1") for name, value in headers or () if name in TRACE_FIELDS and value}
    return found if "traceparent" in found else {}


def extract(carrier: dict[str, str]) -> Context | None:
    return propagate.extract(carrier) if carrier else None


def publish_span(topic: str, event_type: str, event_id: str, payload: bytes) -> tuple[Span, list[tuple[str, bytes]]]:
    """The relay's PRODUCER span of one message (a child of the context stored with the event)
    and the Kafka headers that carry it on. The caller ends the span once Kafka acknowledged."""
    span = tracer.start_span(
        f"{topic} publish",
        context=extract(stored_trace_context(payload)),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": event_id,
            "commerce.event_type": event_type,
        },
    )
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    headers = [(name, carrier[name].encode("latin-1")) for name in TRACE_FIELDS if carrier.get(name)]
    return span, headers


def end_publish_spans(spans: list[Span], error: BaseException | None = None) -> None:
    for span in spans:
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()


@contextmanager
def consuming(
    group: str,
    envelope: EventEnvelope,
    *,
    carrier: dict[str, str] | None = None,
    system: str = "kafka",
    **attributes: str | int,
) -> Iterator[Span]:
    """The CONSUMER span in which `group` applies the event: a child of `carrier` (the Kafka
    headers' context) or else of the context stored in the envelope."""
    parent = extract(carrier or envelope_trace_context(envelope))
    with tracer.start_as_current_span(
        f"{envelope.event_type} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": system,
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": group,
            "messaging.message.id": envelope.event_id,
            "commerce.event_type": envelope.event_type,
            "commerce.aggregate_id": envelope.aggregate_id,
            **attributes,
        },
    ) as span:
        yield span
