"""The ledger: authorize at checkout, capture after picking (often less), void, refund; the state
follows from the transactions, the totals never exceed what is allowed, and events are sent."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput, Unprocessable
from events.contracts import decimal_from_money
from payments import services
from payments.errors import (
    CaptureExceedsAuthorized,
    InvalidPaymentMethod,
    PaymentIdempotencyKeyReused,
    PaymentNotCapturable,
    PaymentNotRefundable,
    PaymentNotVoidable,
    RefundExceedsCaptured,
)
from payments.models import Payment, PaymentState, PaymentTransaction
from payments.sandbox.models import TestCardCharge, TestCardOperation
from tests.payments.helpers import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    assert_totals_match_ledger,
    authorized,
    captured,
    charge_of,
    customer,
    events_of,
    refresh,
    run_pending,
    start,
)

pytestmark = pytest.mark.django_db


def key() -> str:
    return uuid.uuid4().hex


def test_a_payment_starts_pending_and_the_gateway_call_authorizes_it() -> None:
    payment = start("50.00")
    assert payment.state == PaymentState.PENDING
    authorization = payment.transactions.get()
    assert (authorization.kind, authorization.status) == ("authorize", "pending")
    assert authorization.amount == Decimal("50.00")
    assert payment.payment_method_label == "Visa •••• 4242"

    run_pending(payment)

    payment = refresh(payment)
    assert payment.state == PaymentState.AUTHORIZED
    assert payment.authorized_amount == Decimal("50.00") and payment.authorized_at is not None
    assert payment.expires_at is not None and payment.expires_at > timezone.now() + timedelta(days=6)
    authorization.refresh_from_db()
    assert authorization.status == "succeeded" and authorization.provider_reference.startswith("ch_")
    assert authorization.provider_response["status"] == "succeeded"
    assert charge_of(payment).amount == Decimal("50.00")  # the provider holds the money
    [(event_type, event)] = events_of(payment)
    assert event_type == "payment.authorized"
    assert event.order_id == payment.order_ref and event.gateway == "test_card"
    assert decimal_from_money(event.amount) == Decimal("50.00") and event.amount.currency == "EUR"
    assert event.provider_reference == authorization.provider_reference


@pytest.mark.parametrize(("card", "code"), [(DECLINED, "card_declined"), (INSUFFICIENT_FUNDS, "insufficient_funds")])
def test_a_declined_card_fails_the_payment_with_the_providers_reason(card: str, code: str) -> None:
    payment = authorized("20.00", card=card)
    assert payment.state == PaymentState.FAILED
    assert payment.failure_code == code and payment.authorized_amount == 0
    [(event_type, event)] = events_of(payment)
    assert event_type == "payment.failed" and event.failure_code == code and event.failure_message
    with pytest.raises(PaymentNotCapturable):
        services.capture_payment(payment, idempotency_key=key())


def test_grocery_captures_the_picked_total_for_less_than_authorized() -> None:
    payment = captured("50.00", capture="42.10")
    assert payment.state == PaymentState.CAPTURED
    assert (payment.captured_amount, payment.capture_pending_amount) == (Decimal("42.10"), 0)
    charge = charge_of(payment)
    assert charge.amount_captured == Decimal("42.10") and charge.status == "captured"  # the rest is released
    types = [event_type for event_type, _ in events_of(payment)]
    assert types == ["payment.authorized", "payment.completed"]
    assert decimal_from_money(events_of(payment)[1][1].captured_amount) == Decimal("42.10")
    with pytest.raises(PaymentNotCapturable):  # a final capture closed it
        services.capture_payment(payment, amount=Decimal("1.00"), idempotency_key=key())
    assert_totals_match_ledger(payment)


def test_partial_captures_then_a_void_complete_the_payment_once() -> None:
    payment = authorized("30.00")
    services.capture_payment(payment, amount=Decimal("10.00"), final=False, idempotency_key=key())
    run_pending(payment)
    assert refresh(payment).state == PaymentState.PARTIALLY_CAPTURED
    services.capture_payment(payment, amount=Decimal("5.00"), final=False, idempotency_key=key())
    run_pending(payment)
    services.void_payment(payment, reason="order shortened", idempotency_key=key())
    run_pending(payment)
    payment = refresh(payment)
    assert payment.state == PaymentState.CAPTURED and payment.captured_amount == Decimal("15.00")
    void = payment.transactions.get(kind="void")
    assert void.amount == Decimal("15.00") and void.status == "succeeded"  # what was released
    completed = [event for event_type, event in events_of(payment) if event_type == "payment.completed"]
    assert len(completed) == 1 and decimal_from_money(completed[0].captured_amount) == Decimal("15.00")
    assert_totals_match_ledger(payment)


def test_capturing_everything_authorized_without_a_final_flag_completes_it() -> None:
    payment = authorized("12.00")
    services.capture_payment(payment, final=False, idempotency_key=key())  # default: all that is left
    run_pending(payment)
    payment = refresh(payment)
    assert payment.state == PaymentState.CAPTURED and payment.captured_amount == Decimal("12.00")


def test_refunds_go_to_partially_refunded_then_refunded_with_running_totals() -> None:
    payment = captured("50.00", capture="40.00")
    services.refund_payment(payment, amount=Decimal("15.00"), reason="bruised avocados", idempotency_key=key())
    run_pending(payment)
    assert refresh(payment).state == PaymentState.PARTIALLY_REFUNDED
    services.refund_payment(payment, amount=Decimal("25.00"), reason="order returned", idempotency_key=key())
    run_pending(payment)
    payment = refresh(payment)
    assert payment.state == PaymentState.REFUNDED and payment.refunded_amount == Decimal("40.00")
    refunds = [event for event_type, event in events_of(payment) if event_type == "payment.refunded"]
    assert [(decimal_from_money(e.amount), decimal_from_money(e.total_refunded), e.reason) for e in refunds] == [
        (Decimal("15.00"), Decimal("15.00"), "bruised avocados"),
        (Decimal("25.00"), Decimal("40.00"), "order returned"),
    ]
    assert charge_of(payment).amount_refunded == Decimal("40.00")
    assert_totals_match_ledger(payment)


def test_a_capture_above_what_is_authorized_is_refused_clearly_and_changes_nothing() -> None:
    payment = authorized("50.00")
    with pytest.raises(CaptureExceedsAuthorized) as refused:
        services.capture_payment(payment, amount=Decimal("50.01"), idempotency_key=key())
    assert refused.value.code == "capture_exceeds_authorized" and isinstance(refused.value, InvalidInput)
    assert refused.value.message == "At most 50.00 EUR can be captured; 50.01 was asked."
    assert refused.value.fields == {"amount": [refused.value.message]}
    assert payment.transactions.count() == 1 and refresh(payment).capture_pending_amount == 0


def test_pending_captures_count_against_the_authorization() -> None:
    payment = authorized("50.00")
    services.capture_payment(payment, amount=Decimal("30.00"), final=False, idempotency_key=key())
    with pytest.raises(CaptureExceedsAuthorized, match=r"At most 20\.00 EUR"):
        services.capture_payment(payment, amount=Decimal("20.01"), final=False, idempotency_key=key())


def test_a_refund_above_what_was_captured_is_refused_clearly_and_changes_nothing() -> None:
    payment = captured("50.00", capture="42.10")
    services.refund_payment(payment, amount=Decimal("40.00"), reason="first", idempotency_key=key())
    with pytest.raises(RefundExceedsCaptured) as refused:  # 2.10 left, the pending 40.00 counts
        services.refund_payment(payment, amount=Decimal("2.11"), reason="second", idempotency_key=key())
    assert refused.value.code == "refund_exceeds_captured"
    assert refused.value.message == "At most 2.10 EUR can be refunded; 2.11 was asked."
    with pytest.raises(PaymentNotRefundable):
        services.refund_payment(authorized("10.00"), amount=Decimal("1.00"), reason="x", idempotency_key=key())
    with pytest.raises(InvalidInput) as no_reason:
        services.refund_payment(payment, amount=Decimal("1.00"), reason="  ", idempotency_key=key())
    assert no_reason.value.fields == {"reason": ["This field is required."]}
    assert refresh(payment).refund_pending_amount == Decimal("40.00")


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005", "NaN", "abc"])
def test_amounts_must_be_positive_with_two_decimals(amount: str) -> None:
    payment = authorized("10.00")
    with pytest.raises(InvalidInput) as refused:
        services.capture_payment(payment, amount=amount, idempotency_key=key())
    assert refused.value.code == "invalid_amount"


def test_the_database_refuses_totals_the_services_would_never_write() -> None:
    payment = captured("50.00", capture="40.00")
    for changes in (
        {"captured_amount": Decimal("50.01")},
        {"capture_pending_amount": Decimal("10.01")},
        {"refunded_amount": Decimal("40.01")},
        {"refund_pending_amount": Decimal("40.01")},
        {"authorized_amount": Decimal("50.01")},
        {"captured_amount": Decimal("-1")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(**changes)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentTransaction.objects.filter(payment=payment, kind="capture").update(amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():  # one final capture per payment
        PaymentTransaction.objects.create(
            payment=payment, kind="capture", amount=1, final=True, idempotency_key="x", provider_idempotency_key="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # the provider's books hold too
        TestCardCharge.objects.filter(pk=charge_of(payment).pk).update(amount_refunded=Decimal("40.01"))


def test_the_same_idempotency_key_is_the_same_request() -> None:
    payment = authorized("50.00")
    first = services.capture_payment(payment, amount=Decimal("20.00"), final=False, idempotency_key="pick-1")
    again = services.capture_payment(payment, amount=Decimal("20.00"), final=False, idempotency_key="pick-1")
    assert again.pk == first.pk and payment.transactions.filter(kind="capture").count() == 1
    with pytest.raises(PaymentIdempotencyKeyReused) as reused:
        services.capture_payment(payment, amount=Decimal("21.00"), final=False, idempotency_key="pick-1")
    assert isinstance(reused.value, Unprocessable)
    buyer = customer("same@example.com")
    one = services.start_payment(
        order_ref="o-1",
        customer=buyer,
        amount="9.99",
        currency="EUR",
        gateway="test_card",
        payment_method="4242424242424242",
        idempotency_key="checkout-o-1",
    )
    two = services.start_payment(
        order_ref="o-1",
        customer=buyer,
        amount="9.99",
        currency="EUR",
        gateway="test_card",
        payment_method="4242424242424242",
        idempotency_key="checkout-o-1",
    )
    assert one.pk == two.pk and one.transactions.count() == 1
    with pytest.raises(PaymentIdempotencyKeyReused):
        services.start_payment(
            order_ref="o-1",
            customer=buyer,
            amount="10.00",
            currency="EUR",
            gateway="test_card",
            payment_method="4242424242424242",
            idempotency_key="checkout-o-1",
        )


def test_voiding_releases_the_authorization_and_closes_the_payment() -> None:
    payment = authorized("25.00")
    services.void_payment(payment, reason="order cancelled", idempotency_key=key())
    run_pending(payment)
    payment = refresh(payment)
    assert payment.state == PaymentState.VOIDED and charge_of(payment).status == "voided"
    for refused in (
        lambda: services.capture_payment(payment, idempotency_key=key()),
        lambda: services.void_payment(payment, idempotency_key=key()),
    ):
        with pytest.raises(Conflict):
            refused()
    assert [t for t, _ in events_of(payment)] == ["payment.authorized"]


def test_a_void_waits_for_captures_in_progress() -> None:
    payment = authorized("25.00")
    services.capture_payment(payment, amount=Decimal("5.00"), final=False, idempotency_key=key())
    with pytest.raises(PaymentNotVoidable, match="capture is in progress"):
        services.void_payment(payment, idempotency_key=key())


def test_authorizations_about_to_lapse_are_voided_as_expired() -> None:
    due, fresh = authorized("10.00"), authorized("11.00")
    Payment.objects.filter(pk=due.pk).update(expires_at=timezone.now() + timedelta(minutes=30))
    assert services.expire_authorizations() == 1
    assert services.expire_authorizations() == 0  # its void is pending: not asked again
    run_pending(due)
    assert refresh(due).state == PaymentState.EXPIRED
    assert refresh(fresh).state == PaymentState.AUTHORIZED


def test_cash_on_delivery_authorizes_at_once_and_captures_what_the_courier_collected() -> None:
    payment = authorized("31.50", gateway="cash_on_delivery", card="")
    assert payment.state == PaymentState.AUTHORIZED and payment.expires_at is None
    assert payment.payment_method_label == "Cash on delivery"
    services.capture_payment(payment, amount=Decimal("29.80"), idempotency_key=key())  # a missing item
    run_pending(payment)
    assert refresh(payment).state == PaymentState.CAPTURED
    with pytest.raises(RefundExceedsCaptured):
        services.refund_payment(payment, amount=Decimal("29.81"), reason="x", idempotency_key=key())
    services.refund_payment(payment, amount=Decimal("2.00"), reason="dented can", idempotency_key=key())
    run_pending(payment)
    payment = refresh(payment)
    assert payment.state == PaymentState.PARTIALLY_REFUNDED and payment.refunded_amount == Decimal("2.00")
    assert not TestCardOperation.objects.exists()  # no provider involved
    assert_totals_match_ledger(payment)


def test_the_gateway_and_its_payment_method_are_checked_before_anything_is_stored() -> None:
    with pytest.raises(InvalidPaymentMethod):
        start(card="4111111111111111")  # a real-looking number is never stored
    with pytest.raises(InvalidInput) as unknown:
        start(gateway="paypal")
    assert unknown.value.code == "unknown_gateway"
    with pytest.raises(InvalidPaymentMethod):
        start(gateway="cash_on_delivery", card="4242424242424242")
    assert not Payment.objects.exists()
