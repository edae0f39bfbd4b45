"""One trace from the checkout request through the payment task and the relay to the consumer
that confirms the order, with spans kept in memory (core/tracing.py, events/tracing.py)."""

import json
import logging
from collections.abc import Iterator

import pytest
from django.db import connections
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from rest_framework.test import APIClient

from config.celery import app
from core.logs import JsonFormatter, TraceIdFilter
from core.roles import WEB
from core.tracing import init_tracing, shutdown_tracing
from events.dispatch import dispatch_pending
from events.models import OutboxEvent
from events.tracing import stored_trace_context
from orders.models import Order, OrderStatus
from tests.events.helpers import emit_order_created
from tests.orders.helpers import VISA, fill_cart, make_customer, make_shop, make_variant, relay_and_consume
from tests.payments.conftest import payment_gateways  # noqa: F401  (autouse: the sandbox card gateway)

in_the_database = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    connections.close_all()  # the next connections are made through the instrumented psycopg
    assert init_tracing(WEB, exporter=exporter)
    yield exporter
    shutdown_tracing()
    connections.close_all()


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """The payment task runs in this process, when the placement commits (as a worker would run it
    right after), so its spans reach the in-memory exporter."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def only(spans: list[ReadableSpan], **where: object) -> ReadableSpan:
    found = [
        s
        for s in spans
        if all((getattr(s, k) if k in ("name", "kind") else s.attributes.get(k)) == v for k, v in where.items())
    ]
    assert len(found) == 1, (where, [(s.name, dict(s.attributes or {})) for s in spans])
    return found[0]


@in_the_database
@pytest.mark.usefixtures("kafka_topics", "eager_tasks")
def test_one_trace_runs_from_the_placement_request_to_the_consumer_that_confirms_the_order(
    spans: InMemorySpanExporter,
) -> None:
    shop = make_shop()
    user, address = make_customer()
    fill_cart(user, (make_variant("Basil", "2.50"), "2"))
    client = APIClient()
    client.force_authenticate(user)
    checkout = client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
    assert checkout.status_code == 200, checkout.json()
    placed = client.post(
        "/api/v1/checkout/place/",
        {"payment_gateway": "test_card", "payment_method": VISA, "expected_total": checkout.json()["total"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="trace-1",
    )
    assert placed.status_code == 201, placed.json()
    relay_and_consume()
    assert Order.objects.get().status == OrderStatus.CONFIRMED

    finished = list(spans.get_finished_spans())
    request = only(finished, kind=SpanKind.SERVER, **{"http.route": "api/v1/checkout/place/"})
    task = only(finished, name="run/payments.execute_transaction")
    publish = only(finished, kind=SpanKind.PRODUCER, **{"commerce.event_type": "payment.authorized"})
    confirm = only(finished, name="payment.authorized process", **{"messaging.consumer.group.name": "orders.payments"})
    trace_id = request.context.trace_id
    assert {task.context.trace_id, publish.context.trace_id, confirm.context.trace_id} == {trace_id}
    assert confirm.parent is not None and confirm.parent.span_id == publish.context.span_id  # via the Kafka header
    assert confirm.attributes["messaging.destination.name"].endswith("commerce.payments")
    # The handler's statements are children of the consumer span (psycopg is instrumented).
    assert any(s.parent and s.parent.span_id == confirm.context.span_id and s.kind == SpanKind.CLIENT for s in finished)
    # What the consumer confirmed is in the trace too: the order.confirmed event it recorded.
    confirmed = OutboxEvent.objects.get(event_type="order.confirmed")
    assert stored_trace_context(bytes(confirmed.payload))["traceparent"].split("-")[1] == f"{trace_id:032x}"


@in_the_database
def test_the_in_process_dispatch_continues_the_trace_stored_in_the_envelope(
    spans: InMemorySpanExporter,
) -> None:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("change") as change:
        emit_order_created("traced-1")
    untraced = emit_order_created("untraced-1")
    assert stored_trace_context(bytes(untraced.payload)) == {}  # nothing is stamped outside a trace

    dispatch_pending()

    processed = [
        s
        for s in spans.get_finished_spans()
        if s.name == "order.created process" and s.attributes["messaging.consumer.group.name"] == "reports.sales"
    ]
    traced = only(processed, **{"commerce.aggregate_id": "traced-1"})
    assert traced.attributes["messaging.system"] == "in-process"
    assert traced.context.trace_id == change.get_span_context().trace_id
    assert traced.parent is not None and traced.parent.span_id == change.get_span_context().span_id
    other = only(processed, **{"commerce.aggregate_id": "untraced-1"})
    assert other.parent is None  # a root of its own, not glued onto another trace


def test_json_log_lines_carry_the_trace_and_span_ids(spans: InMemorySpanExporter) -> None:
    def line(message: str) -> dict[str, str]:
        record = logging.LogRecord("orders", logging.INFO, __file__, 1, message, None, None)
        TraceIdFilter().filter(record)
        return json.loads(JsonFormatter().format(record))  # type: ignore[no-any-return]

    with trace.get_tracer(__name__).start_as_current_span("work") as span:
        inside = line("inside")
    context = span.get_span_context()
    assert (inside["trace_id"], inside["span_id"]) == (f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert line("outside")["trace_id"] == "-"
