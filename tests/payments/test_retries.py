"""Gateway calls retry until the provider's answer is known, and a retry never charges twice: the
provider keeps one operation per idempotency key, as a real provider does."""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import services
from payments.gateways.base import GatewayUnavailable
from payments.models import PaymentState, PaymentTransaction, WebhookEvent
from payments.sandbox.models import TestCardCharge, TestCardFault, TestCardOperation
from payments.tasks import execute_transaction_task, redrive
from tests.payments.helpers import authorized, charge_of, refresh, run_task, start


@pytest.mark.django_db
def test_a_capture_whose_answer_was_lost_after_the_provider_recorded_it_is_retried_without_a_second_charge() -> None:
    payment = authorized("50.00")
    TestCardFault.objects.create(operation="capture", mode="timeout_after_commit")
    capture = services.capture_payment(payment, amount=Decimal("42.10"), idempotency_key=uuid.uuid4().hex)

    result = run_task(capture.pk)  # fails after the provider call, then retries

    assert result.get() == "succeeded"
    capture.refresh_from_db()
    assert capture.status == "succeeded" and capture.attempts == 2
    [operation] = TestCardOperation.objects.filter(kind="capture")
    assert operation.idempotency_key == capture.provider_idempotency_key
    assert charge_of(payment).amount_captured == Decimal("42.10")
    assert refresh(payment).state == PaymentState.CAPTURED

    run_task(capture.pk).get()  # the task delivered once more (at least once)
    capture.refresh_from_db()
    assert capture.attempts == 2 and TestCardOperation.objects.filter(kind="capture").count() == 1


@pytest.mark.django_db
def test_an_outage_before_the_provider_did_anything_is_retried_until_it_answers() -> None:
    TestCardFault.objects.create(operation="authorize", mode="unavailable", remaining=2)
    payment = start("20.00")
    run_task(payment.transactions.get().pk).get()
    authorization = payment.transactions.get()
    assert authorization.status == "succeeded" and authorization.attempts == 3
    assert TestCardCharge.objects.count() == 1 and refresh(payment).state == PaymentState.AUTHORIZED


@pytest.mark.django_db
def test_when_the_retries_run_out_the_transaction_stays_pending_for_the_redrive() -> None:
    options = execute_transaction_task
    assert options.autoretry_for == (GatewayUnavailable,) and options.retry_backoff == 2
    assert options.max_retries == 10 and options.retry_jitter is True

    TestCardFault.objects.create(operation="refund", mode="unavailable", remaining=100)
    payment = authorized("20.00")
    services.capture_payment(payment, idempotency_key="c")
    run_task(payment.transactions.get(kind="capture").pk).get()
    refund = services.refund_payment(payment, amount=Decimal("5.00"), reason="late", idempotency_key="r")
    with pytest.raises(GatewayUnavailable):
        run_task(refund.pk).get()  # 1 try and 10 retries
    refund.refresh_from_db()
    assert refund.status == "pending" and refund.attempts == 11
    assert refresh(payment).refund_pending_amount == Decimal("5.00")  # still reserved: it may yet happen

    TestCardFault.objects.all().delete()
    PaymentTransaction.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert redrive.apply().get() == {"transactions": 1, "webhooks": 0}
    run_task(refund.pk).get()  # what the re-queued task does
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refresh(payment).refunded_amount == Decimal("5.00")
    assert TestCardOperation.objects.filter(kind="refund").count() == 1


def wait_for(condition, timeout: float = 45.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("settled_worker")
def test_the_real_worker_recovers_from_a_lost_answer_and_charges_once(celery_worker_process: str) -> None:
    TestCardFault.objects.create(operation="authorize", mode="timeout_after_commit")
    payment = start("33.00")  # committed: the task goes through Redis to the worker

    wait_for(lambda: refresh(payment).state == PaymentState.AUTHORIZED)
    authorization = payment.transactions.get()
    # Completed by the task's retry or by the provider's webhook, whichever the worker ran first.
    assert authorization.attempts in (1, 2)
    assert TestCardOperation.objects.filter(idempotency_key=authorization.provider_idempotency_key).count() == 1
    assert TestCardCharge.objects.filter(metadata__payment_id=str(payment.pk)).count() == 1
    # The provider's charge.authorized webhook was delivered (by the worker, signed) and applied.
    wait_for(lambda: WebhookEvent.objects.filter(event_type="charge.authorized", processed_at__isnull=False).exists())
