"""The finance staff's payments API: reads, and capture, void and refund through the services,
each POST with an Idempotency-Key; errors in the API's one body shape."""

import json
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from accounts.models import User
from payments.models import Payment, PaymentState, PaymentTransaction
from payments.sandbox.models import TestCardOperation
from tests.api.support import api, error_of, signed_in, token_for
from tests.api.test_schema import check
from tests.payments.helpers import (
    PASSWORD,
    authorized,
    captured,
    charge_of,
    customer,
    deliver,
    finance_user,
    provider_events,
    refresh,
    run_pending,
)

BASE = "/api/v1/staff/payments/"


def post(client: Any, path: str, body: dict[str, Any], key: str | None = "k-1") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, body, format="json", **headers)


@pytest.mark.django_db
def test_finance_lists_payments_with_filters_and_pages() -> None:
    client = signed_in(finance_user())
    buyer = customer("ann@example.com")
    first = authorized("10.00", buyer=buyer, order_ref="A-1")
    authorized("11.00", order_ref="B-1")
    failed = authorized("12.00", card="4000000000000002", order_ref="C-1")

    body = client.get(BASE, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and "page=2" in body["next"]
    assert body["results"][0]["id"] == failed.pk  # newest first
    assert [p["id"] for p in client.get(BASE, {"state": "failed"}).json()["results"]] == [failed.pk]
    assert [p["id"] for p in client.get(BASE, {"customer": buyer.pk}).json()["results"]] == [first.pk]
    row = client.get(BASE, {"order_ref": "A-1"}).json()["results"][0]
    assert row["amount"] == "10.00" and row["currency"] == "EUR" and row["state"] == "authorized"
    assert row["customer_email"] == "ann@example.com" and row["payment_method_label"] == "Visa •••• 4242"
    error_of(client.get(BASE, {"state": "lost"}), 400, "invalid")


@pytest.mark.django_db
def test_a_payment_shows_its_transactions() -> None:
    payment = captured("50.00", capture="42.10")
    body = signed_in(finance_user()).get(f"{BASE}{payment.pk}/").json()
    assert body["state"] == "captured" and body["captured_amount"] == "42.10"
    assert [(t["kind"], t["status"], t["amount"]) for t in body["transactions"]] == [
        ("authorize", "succeeded", "50.00"),
        ("capture", "succeeded", "42.10"),
    ]
    error_of(signed_in(finance_user("f2@example.com")).get(f"{BASE}999999/"), 404, "payment_not_found")


@pytest.mark.django_db
def test_only_finance_staff_may_see_or_move_money() -> None:
    payment = authorized("10.00")
    error_of(api().get(BASE), 401)
    error_of(signed_in(customer("c@example.com")).get(BASE), 403, "permission_denied")
    clerk = User.objects.create_user("clerk@example.com", PASSWORD, is_staff=True)
    error_of(signed_in(clerk).get(BASE), 403, "permission_denied")
    error_of(post(signed_in(clerk), f"{BASE}{payment.pk}/capture/", {}), 403, "permission_denied")
    assert not PaymentTransaction.objects.filter(kind="capture").exists()


@pytest.mark.django_db
def test_capture_refund_and_void_go_through_the_services_once_per_key() -> None:
    client = signed_in(finance_user())
    payment = authorized("50.00")

    error_of(
        post(client, f"{BASE}{payment.pk}/capture/", {"amount": "42.10"}, key=None), 400, "idempotency_key_required"
    )
    response = post(client, f"{BASE}{payment.pk}/capture/", {"amount": "42.10"}, key="pick-1")
    assert response.status_code == 202
    body = response.json()
    assert (body["transaction"]["kind"], body["transaction"]["status"]) == ("capture", "pending")
    assert body["transaction"]["actor"] == "finance@example.com"
    assert body["payment"]["capture_pending_amount"] == "42.10"
    again = post(client, f"{BASE}{payment.pk}/capture/", {"amount": "42.10"}, key="pick-1")
    assert again["Idempotent-Replayed"] == "true" and again.json()["transaction"]["id"] == body["transaction"]["id"]
    error_of(
        post(client, f"{BASE}{payment.pk}/capture/", {"amount": "40.00"}, key="pick-1"), 422, "idempotency_key_reused"
    )
    run_pending(payment)

    refund = post(client, f"{BASE}{payment.pk}/refund/", {"amount": "2.10", "reason": "missing limes"}, key="r-1")
    assert refund.status_code == 202 and refund.json()["transaction"]["reason"] == "missing limes"
    run_pending(payment)
    assert refresh(payment).state == PaymentState.PARTIALLY_REFUNDED

    void = post(client, f"{BASE}{authorized('9.00').pk}/void/", {"reason": "cancelled"}, key="v-1")
    assert void.status_code == 202 and void.json()["transaction"]["amount"] == "9.00"


@pytest.mark.django_db
def test_amounts_beyond_the_limits_are_refused_with_a_clear_error() -> None:
    client = signed_in(finance_user())
    payment = captured("50.00", capture="42.10")
    over = error_of(
        post(client, f"{BASE}{payment.pk}/refund/", {"amount": "42.11", "reason": "x"}, key="r"),
        400,
        "refund_exceeds_captured",
    )
    assert over["message"] == "At most 42.10 EUR can be refunded; 42.11 was asked."
    assert over["fields"] == {"amount": [over["message"]]}
    fresh = authorized("20.00")
    over = error_of(
        post(client, f"{BASE}{fresh.pk}/capture/", {"amount": "20.01"}, key="c"), 400, "capture_exceeds_authorized"
    )
    assert over["message"] == "At most 20.00 EUR can be captured; 20.01 was asked."
    error_of(post(client, f"{BASE}{payment.pk}/capture/", {"amount": "1.00"}, key="c2"), 409, "payment_not_capturable")
    error_of(post(client, f"{BASE}{payment.pk}/void/", {}, key="v"), 409, "payment_not_voidable")
    assert error_of(post(client, f"{BASE}{fresh.pk}/capture/", {"amount": "1.001"}, key="c3"), 400, "invalid")[
        "fields"
    ]["amount"]
    error_of(
        post(client, f"{BASE}{fresh.pk}/capture/", {"amount": "1.00", "currency": "USD"}, key="c4"), 400, "invalid"
    )
    assert PaymentTransaction.objects.filter(kind__in=["capture", "refund", "void"]).count() == 1


@pytest.mark.django_db
def test_finance_starts_a_payment_for_an_order() -> None:
    client = signed_in(finance_user())
    buyer = customer("phone-order@example.com")
    body = {
        "order_ref": "PHONE-7",
        "customer": buyer.pk,
        "amount": "23.45",
        "currency": "EUR",
        "gateway": "test_card",
        "payment_method": "5555555555554444",
    }
    response = post(client, BASE, body, key="phone-7")
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == f"{BASE}{created['id']}/"
    assert created["state"] == "pending" and created["transactions"][0]["kind"] == "authorize"
    wrong = error_of(
        post(client, BASE, {**body, "payment_method": "4111111111111111"}, key="phone-8"), 400, "invalid_payment_method"
    )
    assert wrong["fields"] == {"payment_method": ["Not a test card number."]}
    error_of(post(client, BASE, {**body, "gateway": "cheque"}, key="phone-9"), 400, "unknown_gateway")


# --- The same request ten times at once, over HTTP, with the real worker ----------------------------


def parallel_posts(url: str, token: str, body: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    data = json.dumps(body).encode()
    results: list[tuple[int, dict[str, Any]]] = []
    start = threading.Barrier(10)

    def send() -> None:
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key, "Authorization": f"Bearer {token}"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as refused:
            results.append((refused.code, json.loads(refused.read())))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_for(condition: Any, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("settled_worker")
def test_one_start_request_sent_ten_times_at_once_authorizes_once(live_server, celery_worker_process) -> None:  # type: ignore[no-untyped-def]
    token = token_for(finance_user())
    buyer = customer("parallel@example.com")
    body = {
        "order_ref": "PAR-1",
        "customer": buyer.pk,
        "amount": "61.30",
        "currency": "EUR",
        "gateway": "test_card",
        "payment_method": "4242424242424242",
    }

    results = parallel_posts(f"{live_server.url}{BASE}", token, body, key="checkout-PAR-1")

    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409} and 201 in statuses, results
    assert all(b["code"] == "idempotency_request_in_progress" for s, b in results if s == 409)
    assert len({b["id"] for s, b in results if s == 201}) == 1
    payment = Payment.objects.get(order_ref="PAR-1")
    wait_for(lambda: refresh(payment).state == PaymentState.AUTHORIZED)
    assert payment.transactions.filter(kind="authorize").count() == 1
    # One authorization at the provider (counted on its side, by the charge's metadata).
    assert TestCardOperation.objects.filter(kind="authorize", charge__metadata__payment_id=str(payment.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("settled_worker")
def test_one_capture_request_sent_ten_times_at_once_captures_once(live_server, celery_worker_process) -> None:  # type: ignore[no-untyped-def]
    token = token_for(finance_user())
    payment = authorized("50.00")

    results = parallel_posts(
        f"{live_server.url}{BASE}{payment.pk}/capture/", token, {"amount": "42.10"}, key="pick-PAR-2"
    )

    statuses = [status for status, _ in results]
    assert set(statuses) <= {202, 409} and 202 in statuses, results
    assert len({b["transaction"]["id"] for s, b in results if s == 202}) == 1
    wait_for(lambda: refresh(payment).state == PaymentState.CAPTURED)
    payment = refresh(payment)
    assert payment.captured_amount == Decimal("42.10")
    assert payment.transactions.filter(kind="capture").count() == 1
    assert TestCardOperation.objects.filter(kind="capture", charge=charge_of(payment)).count() == 1  # at the provider


# --- The OpenAPI document tells the truth about these endpoints -------------------------------------


@pytest.mark.django_db
def test_the_schema_generates_without_warnings_and_real_responses_match_it() -> None:
    GENERATOR_STATS.reset()
    urls = [path("api/v1/", include("payments.api.urls"))]
    schema = SchemaGenerator(patterns=urls).get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._warn_cache)
    validate_schema(schema)
    parameters = schema["paths"][f"{BASE}{{payment_id}}/capture/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in parameters)

    client = signed_in(finance_user())
    payment = captured("50.00", capture="40.00")
    fresh = authorized("10.00")
    detail, capture, refund, void = (
        f"{BASE}{{payment_id}}/",
        f"{BASE}{{payment_id}}/capture/",
        f"{BASE}{{payment_id}}/refund/",
        f"{BASE}{{payment_id}}/void/",
    )
    check(schema, "GET", BASE, client.get(BASE, {"page_size": 1}))
    check(schema, "GET", BASE, client.get(BASE, {"state": "x"}))
    check(schema, "GET", BASE, api().get(BASE))
    check(schema, "GET", detail, client.get(f"{BASE}{payment.pk}/"))
    check(schema, "GET", detail, client.get(f"{BASE}999999/"))
    cash = {
        "order_ref": "S-1",
        "customer": payment.customer_id,
        "amount": "5.00",
        "currency": "EUR",
        "gateway": "cash_on_delivery",
    }
    check(schema, "POST", BASE, post(client, BASE, cash))
    check(schema, "POST", capture, post(client, f"{BASE}{fresh.pk}/capture/", {"amount": "3.00"}, key="c1"))
    check(schema, "POST", capture, post(client, f"{BASE}{fresh.pk}/capture/", {"amount": "4.00"}, key="c1"))
    check(schema, "POST", capture, post(client, f"{BASE}{payment.pk}/capture/", {}, key="c2"))
    check(schema, "POST", refund, post(client, f"{BASE}{payment.pk}/refund/", {"amount": "1.00", "reason": "x"}))
    check(
        schema,
        "POST",
        refund,
        post(client, f"{BASE}{payment.pk}/refund/", {"amount": "99.00", "reason": "x"}, key="r2"),
    )
    check(schema, "POST", void, post(client, f"{BASE}{payment.pk}/void/", {}, key="v1"))
    webhook = "/api/v1/payments/webhooks/{gateway}/"
    [event] = provider_events(payment, "charge.captured")
    check(schema, "POST", webhook, deliver(api(), event))
    check(schema, "POST", webhook, deliver(api(), event, secret="wrong"))
