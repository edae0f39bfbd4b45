"""Concurrent requests against real Postgres: the payment's row lock serialises them, so together
they never capture or refund more than allowed, and one key is one request."""

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core.errors import DomainError
from payments import services
from payments.models import Payment, PaymentTransaction
from tests.payments.helpers import authorized, captured, customer, refresh

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("settled_worker")]


def in_parallel(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[DomainError]]:
    """Run work(0..count-1) in threads that start together; what they returned and refused."""
    done: list[Any] = []
    refused: list[DomainError] = []
    start = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            start.wait()
            done.append(work(n))
        except DomainError as error:
            refused.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) + len(refused) == count  # nothing else went wrong
    return done, refused


def in_flight_or_done(payment: Payment, kind: str) -> Decimal:
    """Reserved plus completed: a Celery worker of this test run may already have executed some."""
    if kind == "capture":
        return payment.capture_pending_amount + payment.captured_amount
    return payment.refund_pending_amount + payment.refunded_amount


def test_ten_concurrent_captures_of_the_picked_total_capture_once() -> None:
    payment = authorized("50.00")
    done, refused = in_parallel(
        10, lambda n: services.capture_payment(payment, amount=Decimal("42.10"), idempotency_key=f"picker-{n}")
    )
    assert len(done) == 1
    assert {error.code for error in refused} == {"payment_not_capturable"}
    assert PaymentTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert in_flight_or_done(refresh(payment), "capture") == Decimal("42.10")


def test_concurrent_partial_captures_never_exceed_the_authorization() -> None:
    payment = authorized("50.00")
    done, refused = in_parallel(
        10,
        lambda n: services.capture_payment(payment, amount=Decimal("10.00"), final=False, idempotency_key=f"part-{n}"),
    )
    assert len(done) == 5
    assert {error.code for error in refused} <= {"capture_exceeds_authorized", "payment_not_capturable"}
    assert in_flight_or_done(refresh(payment), "capture") == Decimal("50.00")


def test_concurrent_refunds_never_exceed_what_was_captured() -> None:
    payment = captured("50.00", capture="40.00")
    done, refused = in_parallel(
        10,
        lambda n: services.refund_payment(
            payment, amount=Decimal("5.00"), reason="spoiled", idempotency_key=f"refund-{n}"
        ),
    )
    assert len(done) == 8 and {error.code for error in refused} == {"refund_exceeds_captured"}
    assert in_flight_or_done(refresh(payment), "refund") == Decimal("40.00")


def test_one_key_sent_ten_times_at_once_is_one_capture_and_one_payment() -> None:
    payment = authorized("50.00")
    done, _ = in_parallel(
        10,
        lambda n: services.capture_payment(payment, amount=Decimal("12.00"), final=False, idempotency_key="same-key"),
    )
    assert len({txn.pk for txn in done}) == 1 and len(done) == 10

    buyer = customer("racer@example.com")
    started, _ = in_parallel(
        10,
        lambda n: services.start_payment(
            order_ref="o-race",
            customer=buyer,
            amount="19.99",
            currency="EUR",
            gateway="test_card",
            payment_method="4242424242424242",
            idempotency_key="checkout-o-race",
        ),
    )
    assert len({p.pk for p in started}) == 1 and len(started) == 10
    assert Payment.objects.filter(order_ref="o-race").count() == 1
    assert PaymentTransaction.objects.filter(payment__order_ref="o-race").count() == 1
