"""Building blocks for the payments tests: people, payments driven through the real services and
the sandbox provider, signed webhook deliveries, and the events a payment left in the outbox."""

import time
import uuid
from decimal import Decimal
from typing import Any

from celery.result import EagerResult
from django.db import transaction
from django.test import Client
from django.utils import timezone
from google.protobuf.message import Message

from accounts.models import User
from config.celery import app
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from payments import services
from payments.gateways.signing import SIGNATURE_HEADER, signature_header
from payments.models import Payment, PaymentTransaction, TransactionStatus
from payments.sandbox import provider
from payments.sandbox.models import TestCardCharge, TestCardEvent
from payments.services.recording import derive_state
from payments.tasks import execute_transaction_task

WEBHOOK_SECRET = "whsec_payments_tests_only"
PASSWORD = "a-long-password-for-tests-123"
VISA = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
THREE_D_SECURE = "4000000000003220"
WEBHOOK_URL = "/api/v1/payments/webhooks/test_card/"


def customer(email: str = "buyer@example.com") -> User:
    return User.objects.create_user(email, PASSWORD)


def finance_user(email: str = "finance@example.com") -> User:
    user = User.objects.create_user(email, PASSWORD, is_staff=True)
    user.groups.add(services.ensure_finance_group())
    return User.objects.get(pk=user.pk)  # fresh permission cache


def start(
    amount: str = "50.00",
    card: str = VISA,
    gateway: str = "test_card",
    order_ref: str = "",
    buyer: User | None = None,
    key: str = "",
) -> Payment:
    return services.start_payment(
        order_ref=order_ref or f"order-{uuid.uuid4().hex[:8]}",
        customer=buyer or customer(f"{uuid.uuid4().hex[:8]}@example.com"),
        amount=Decimal(amount),
        currency="EUR",
        gateway=gateway,
        payment_method=card,
        idempotency_key=key or uuid.uuid4().hex,
    )


def run_task(transaction_id: int) -> EagerResult:
    """What a worker does with the gateway task: run it, and each retry it asks for (at once
    rather than after the backoff). A failure ends up in the result, as in a worker."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # else the first retry would raise out of apply()
    try:
        return execute_transaction_task.apply(args=[transaction_id])
    finally:
        app.conf.task_eager_propagates = propagates


def run_pending(payment: Payment) -> None:
    """Do what the worker does for every pending transaction of the payment."""
    for txn_id in payment.transactions.filter(status=TransactionStatus.PENDING).values_list("id", flat=True):
        run_task(txn_id).get()


def authorized(amount: str = "50.00", **kwargs: Any) -> Payment:
    payment = start(amount, **kwargs)
    run_pending(payment)
    return Payment.objects.get(pk=payment.pk)


def captured(amount: str = "50.00", capture: str = "42.10", **kwargs: Any) -> Payment:
    payment = authorized(amount, **kwargs)
    services.capture_payment(payment, amount=Decimal(capture), idempotency_key=uuid.uuid4().hex)
    run_pending(payment)
    return Payment.objects.get(pk=payment.pk)


def refresh(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


def charge_of(payment: Payment) -> TestCardCharge:
    """The provider's record of the payment's charge."""
    authorization = payment.transactions.get(kind="authorize")
    return TestCardCharge.objects.get(operations__idempotency_key=authorization.provider_idempotency_key)


def events_of(payment: Payment) -> list[tuple[str, Message]]:
    rows = OutboxEvent.objects.filter(aggregate_type="payment", aggregate_id=str(payment.pk)).order_by("id")
    return [(row.event_type, unpack_envelope(bytes(row.payload))[1]) for row in rows]


def provider_events(payment: Payment, event_type: str) -> list[TestCardEvent]:
    return list(TestCardEvent.objects.filter(charge=charge_of(payment), type=event_type).order_by("id"))


def deliver(
    client: Client,
    event: TestCardEvent,
    *,
    at: int | None = None,
    secret: str = WEBHOOK_SECRET,
    body: bytes | None = None,
) -> Any:
    """POST one delivery of a provider event to our webhook endpoint, signed like the provider does."""
    raw = body if body is not None else event.body.encode()
    header = signature_header([secret], event.body.encode() if body is None else raw, at or int(time.time()))
    return client.post(WEBHOOK_URL, data=raw, content_type="application/json", headers={SIGNATURE_HEADER: header})


def complete_3ds(payment: Payment) -> None:
    with transaction.atomic():
        assert provider.complete_authentication(charge_of(payment).reference)


def ledger_sums(payment: Payment) -> dict[str, Decimal]:
    sums = {kind: Decimal("0.00") for kind in ("authorize", "capture", "refund")}
    for txn in PaymentTransaction.objects.filter(payment=payment, status=TransactionStatus.SUCCEEDED):
        if txn.kind in sums:
            sums[txn.kind] += txn.amount
    return sums


def assert_totals_match_ledger(payment: Payment) -> None:
    payment = refresh(payment)
    sums = ledger_sums(payment)
    assert payment.authorized_amount == sums["authorize"]
    assert payment.captured_amount == sums["capture"]
    assert payment.refunded_amount == sums["refund"]
    assert payment.state == derive_state(payment.transactions.all())


def now() -> int:
    return int(timezone.now().timestamp())
