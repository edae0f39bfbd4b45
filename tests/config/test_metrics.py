"""/metrics after a real checkout: the request, business, relay and consumer series move."""

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from orders.models import Order
from tests.orders.helpers import VISA, fill_cart, make_customer, make_shop, make_variant, relay_and_consume
from tests.payments.conftest import payment_gateways  # noqa: F401  (autouse: the sandbox card gateway)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics")]

Sample = tuple[str, frozenset[tuple[str, str]]]


def scrape(client: APIClient) -> dict[Sample, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


@pytest.fixture
def tasks_in_this_process() -> Iterator[None]:
    """The payment task runs here, where the counters are read: a Celery worker that another test
    of this session started would otherwise take it and count in its own process."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.mark.usefixtures("tasks_in_this_process")
def test_a_checkout_moves_the_request_business_and_event_series() -> None:
    anonymous = APIClient()
    before = scrape(anonymous)
    shop = make_shop()
    basil = make_variant("Basil", "2.50", stock="3")
    user, address = make_customer()
    client = APIClient()
    client.force_authenticate(user)
    fill_cart(user, (basil, "2"))
    checkout = client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
    assert checkout.status_code == 200, checkout.json()
    placed = client.post(
        "/api/v1/checkout/place/",
        {"payment_gateway": "test_card", "payment_method": VISA, "expected_total": checkout.json()["total"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="metrics-1",
    )
    assert placed.status_code == 201, placed.json()
    assert Order.objects.get().payment_id is not None  # authorized by then: the task ran eagerly on commit

    other, other_address = make_customer()  # one basil is left; this customer wants two
    fill_cart(other, (basil, "2"))
    client.force_authenticate(other)
    refused = client.post("/api/v1/checkout/", {"address": other_address.pk, "slot": shop.slot.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "out_of_stock"
    relay_and_consume()
    after = scrape(anonymous)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("commerce_http_requests_total", method="POST", route="v1:orders:checkout-place", status="201") == 1
    assert moved("commerce_http_request_duration_seconds_count", method="POST", route="v1:orders:checkout-place") == 1
    assert moved("commerce_orders_placed_total") == 1
    assert moved("commerce_payment_outcomes_total", gateway="test_card", outcome="authorized") == 1
    assert moved("commerce_reservations_refused_total", interface="rest") == 1
    assert moved("commerce_domain_refusals_total", code="out_of_stock") == 1
    assert moved("commerce_relay_published_total") >= 3  # inventory, order and payment events at least
    assert moved("commerce_consumer_events_total", group="orders.payments", outcome="applied") >= 1
    assert ("commerce_outbox_pending_events", frozenset()) in after
    assert any(
        name == "commerce_consumer_lag_messages" and ("group", "orders.payments") in labels for name, labels in after
    )
