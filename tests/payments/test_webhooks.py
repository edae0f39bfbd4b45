"""Provider webhooks: signed, fresh, stored once before they act, and order-independent."""

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from payments import services
from payments.gateways.base import GatewayUnavailable
from payments.gateways.signing import SIGNATURE_HEADER, signature_header
from payments.models import PaymentState, WebhookEvent
from payments.sandbox import provider
from payments.sandbox.models import TestCardCharge, TestCardFault, TestCardOperation
from tests.api.support import error_of
from tests.payments.helpers import (
    THREE_D_SECURE,
    WEBHOOK_URL,
    assert_totals_match_ledger,
    authorized,
    captured,
    charge_of,
    complete_3ds,
    deliver,
    events_of,
    now,
    provider_events,
    refresh,
    run_pending,
    run_task,
    start,
)

pytestmark = pytest.mark.django_db


def test_replayed_and_out_of_order_webhooks_capture_once_and_end_captured() -> None:
    client = Client()
    payment = authorized("50.00")  # our task recorded the authorization; its webhook is still on the way
    # The capture reaches the provider, but its answer is lost: our capture stays pending.
    TestCardFault.objects.create(operation="capture", mode="timeout_after_commit")
    capture = services.capture_payment(payment, amount=Decimal("42.10"), idempotency_key="pick-1")
    with pytest.raises(GatewayUnavailable):
        services.execute_transaction(capture.pk)  # the task would retry; the webhooks come first
    capture.refresh_from_db()
    assert capture.status == "pending" and capture.attempts == 1
    assert charge_of(payment).amount_captured == Decimal("42.10")

    [authorized_event] = provider_events(payment, "charge.authorized")
    [captured_event] = provider_events(payment, "charge.captured")
    # charge.captured three times, then the older charge.authorized.
    answers = [deliver(client, captured_event) for _ in range(3)] + [deliver(client, authorized_event)]

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True, False]
    assert answers[0].json()["outcome"] == f"payment {payment.pk}: 1 transaction(s) completed"
    assert answers[3].json()["outcome"] == f"payment {payment.pk}: no transaction(s) completed"
    payment = refresh(payment)
    assert payment.state == PaymentState.CAPTURED and payment.captured_amount == Decimal("42.10")
    assert payment.transactions.filter(kind="capture").count() == 1
    assert [t for t, _ in events_of(payment)] == ["payment.authorized", "payment.completed"]
    assert WebhookEvent.objects.get(provider_event_id=captured_event.event_id).deliveries == 3
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 2

    # The capture task's retry comes later: the provider answers from its records, nothing moves.
    run_task(capture.pk).get()
    assert TestCardOperation.objects.filter(kind="capture").count() == 1
    assert charge_of(payment).amount_captured == Decimal("42.10")
    assert_totals_match_ledger(payment)


def test_a_3d_secure_card_is_authorized_by_the_providers_webhook() -> None:
    client = Client()
    payment = start("18.00", card=THREE_D_SECURE)
    run_pending(payment)
    authorization = payment.transactions.get()
    assert refresh(payment).state == PaymentState.PENDING
    assert authorization.provider_reference == charge_of(payment).reference  # acknowledged, pending
    run_pending(payment)  # a re-run waits for the webhook instead of calling again
    authorization.refresh_from_db()
    assert authorization.attempts == 1

    complete_3ds(payment)
    [event] = provider_events(payment, "charge.authorized")
    assert deliver(client, event).status_code == 200
    payment = refresh(payment)
    assert payment.state == PaymentState.AUTHORIZED and payment.authorized_amount == Decimal("18.00")
    assert [t for t, _ in events_of(payment)] == ["payment.authorized"]


def test_a_bad_signature_is_refused_with_400_and_changes_nothing() -> None:
    client = Client()
    payment = start("18.00", card=THREE_D_SECURE)
    run_pending(payment)
    complete_3ds(payment)
    [event] = provider_events(payment, "charge.authorized")

    wrong_secret = deliver(client, event, secret="whsec_someone_else")
    error_of(wrong_secret, 400, "webhook_signature_invalid")
    tampered = json.loads(event.body)
    tampered["data"]["object"]["operations"][0]["amount"] = "1.00"
    signed_original = signature_header(["whsec_payments_tests_only"], event.body.encode(), now())
    swapped = client.post(
        WEBHOOK_URL,
        data=json.dumps(tampered),
        content_type="application/json",
        headers={SIGNATURE_HEADER: signed_original},
    )
    error_of(swapped, 400, "webhook_signature_invalid")
    unsigned = client.post(WEBHOOK_URL, data=event.body, content_type="application/json")
    assert error_of(unsigned, 400, "webhook_signature_invalid")["message"] == (
        "The Commerce-Signature header is missing or malformed."
    )

    assert not WebhookEvent.objects.exists()
    assert refresh(payment).state == PaymentState.PENDING


# Ten seconds past the 300 s tolerance either way: the signed timestamps are whole seconds, taken
# a moment before the server checks them, so 301 s in the future could arrive as 300.
@pytest.mark.parametrize("age", [310, -310, 3600])
def test_a_stale_or_future_timestamp_is_refused_even_when_signed(age: int) -> None:
    client = Client()
    payment = start("18.00", card=THREE_D_SECURE)
    run_pending(payment)
    complete_3ds(payment)
    [event] = provider_events(payment, "charge.authorized")
    body = error_of(deliver(client, event, at=now() - age), 400, "webhook_timestamp_outside_tolerance")
    assert "at most 300 s are accepted" in body["message"]
    assert not WebhookEvent.objects.exists()
    assert refresh(payment).state == PaymentState.PENDING
    assert deliver(client, event, at=now() - 290).status_code == 200  # within five minutes: fine
    assert refresh(payment).state == PaymentState.AUTHORIZED


def test_a_rotated_secret_still_verifies_while_both_are_configured(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENTS_GATEWAYS["test_card"]["WEBHOOK_SECRETS"] = ["whsec_new", "whsec_payments_tests_only"]
    payment = start("18.00", card=THREE_D_SECURE)
    run_pending(payment)
    complete_3ds(payment)
    [event] = provider_events(payment, "charge.authorized")
    assert deliver(Client(), event).status_code == 200  # signed with the old secret


def test_webhooks_of_unknown_gateways_or_gateways_without_webhooks_are_404() -> None:
    client = Client()
    error_of(
        client.post("/api/v1/payments/webhooks/nope/", data="{}", content_type="application/json"),
        404,
        "unknown_gateway",
    )
    error_of(
        client.post("/api/v1/payments/webhooks/cash_on_delivery/", data="{}", content_type="application/json"),
        404,
        "webhooks_not_supported",
    )


def test_a_signed_body_that_is_not_an_event_is_refused() -> None:
    body = b'{"hello": "world"}'
    response = Client().post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature_header(["whsec_payments_tests_only"], body, now())},
    )
    error_of(response, 400, "webhook_payload_invalid")
    assert not WebhookEvent.objects.exists()


def test_an_event_about_a_charge_we_do_not_know_is_stored_and_ignored() -> None:
    charge = TestCardCharge.objects.create(
        reference="ch_elsewhere",
        account="test_card",
        card_last4="4242",
        currency="EUR",
        amount=Decimal("5.00"),
        status="authorized",
    )
    body = json.dumps(
        {
            "id": "evt_elsewhere",
            "type": "charge.authorized",
            "created": now(),
            "data": {"object": {"id": charge.reference, "operations": []}},
        }
    ).encode()
    response = Client().post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature_header(["whsec_payments_tests_only"], body, now())},
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: no payment for charge ch_elsewhere"
    assert WebhookEvent.objects.get().processed_at is not None


def test_a_refund_made_in_the_providers_dashboard_is_adopted_into_the_ledger_once() -> None:
    payment = captured("50.00", capture="40.00")
    provider.refund(
        idempotency_key=f"dashboard-{uuid.uuid4().hex}",
        charge_reference=charge_of(payment).reference,
        amount=Decimal("7.50"),
    )
    [event] = provider_events(payment, "charge.refunded")
    for _ in range(2):
        assert deliver(Client(), event).status_code == 200
    payment = refresh(payment)
    refund = payment.transactions.get(kind="refund")
    assert (refund.amount, refund.status, refund.reason) == (Decimal("7.50"), "succeeded", "made at the provider")
    assert payment.state == PaymentState.PARTIALLY_REFUNDED and payment.refunded_amount == Decimal("7.50")
    assert [t for t, _ in events_of(payment)][-1] == "payment.refunded"
    assert_totals_match_ledger(payment)


def test_a_webhook_is_stored_before_it_acts_and_kept_when_acting_fails() -> None:
    payment = captured("50.00", capture="40.00")
    charge = charge_of(payment)
    # The provider reports a refund larger than anything we captured: our constraints refuse it.
    TestCardCharge.objects.filter(pk=charge.pk).update(amount_captured=Decimal("50.00"))
    provider.refund(idempotency_key="dashboard-big", charge_reference=charge.reference, amount=Decimal("45.00"))
    [event] = provider_events(payment, "charge.refunded")
    response = deliver(Client(), event)
    assert response.status_code == 200 and response.json()["outcome"] == "stored; it will be applied by a retry"
    stored = WebhookEvent.objects.get(provider_event_id=event.event_id)
    assert stored.processed_at is None and "payment_refunded_within_captured" in stored.last_error
    assert stored.attempts == 1 and stored.body == event.body
    assert refresh(payment).refunded_amount == 0 and not payment.transactions.filter(kind="refund").exists()
