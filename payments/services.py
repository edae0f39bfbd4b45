"""Writes of the payments app: starting a payment and asking for captures, voids and refunds.

Each request is one pending ledger transaction, checked and reserved under the payment's row
lock (so concurrent requests cannot together capture or refund too much), and one Celery task
queued on commit that calls the gateway (execute_transaction). The same idempotency key is the
same request: it returns what the first one created. Orders call these; so do the staff API and
the admin.
"""

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, InvalidInput
from payments import errors
from payments.gateways import get_gateway
from payments.gateways.base import OperationRequest
from payments.models import (
    EXPIRY_REASON,
    Payment,
    PaymentState,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from payments.recording import lock_payment, record_outcome

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")
FINANCE_GROUP = "finance"


def _amount(value: Decimal | str | int, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(value) if not isinstance(value, float) else None
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or not 0 < amount <= MAX_AMOUNT or amount != amount.quantize(CENT):
        raise errors.InvalidAmount(fields={field: ["Must be a positive amount with at most two decimals."]})
    return amount.quantize(CENT)


def _currency(code: str) -> str:
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        raise InvalidInput("The currency must be an ISO 4217 code like EUR.",
                           fields={"currency": ["Not a currency code."]})
    return code


def _enqueue(transaction_id: int) -> None:
    from payments.tasks import execute_transaction_task

    execute_transaction_task.delay_on_commit(transaction_id)  # type: ignore[attr-defined]  # not in the stubs


def _new_transaction(payment: Payment, kind: str, amount: Decimal, idempotency_key: str, *,
                     actor: User | None, final: bool = False, reason: str = "") -> PaymentTransaction:
    txn = PaymentTransaction.objects.create(
        payment=payment, kind=kind, amount=amount, final=final, reason=reason, idempotency_key=idempotency_key,
        provider_idempotency_key=uuid.uuid4().hex, actor=actor,
    )
    _enqueue(txn.pk)
    return txn


def _repeat(payment: Payment, kind: str, idempotency_key: str, **same: object) -> PaymentTransaction | None:
    """The transaction an earlier request with this key created, if any; the key with other
    values is refused."""
    txn = payment.transactions.filter(kind=kind, idempotency_key=idempotency_key).first()
    if txn is not None and any(value is not None and getattr(txn, name) != value for name, value in same.items()):
        raise errors.PaymentIdempotencyKeyReused()
    return txn


def start_payment(*, order_ref: str, customer: User, amount: Decimal | str, currency: str, gateway: str,
                  payment_method: str, idempotency_key: str, actor: User | None = None) -> Payment:
    """A payment for one order attempt, its pending authorization, and the gateway call queued."""
    amount, currency = _amount(amount), _currency(currency)
    if not order_ref or not idempotency_key:
        raise InvalidInput(fields={name: ["This field is required."] for name, value in
                                   (("order_ref", order_ref), ("idempotency_key", idempotency_key)) if not value})
    label = get_gateway(gateway).describe_payment_method(payment_method)
    same = {"order_ref": order_ref, "customer_id": customer.pk, "amount": amount, "currency": currency,
            "gateway": gateway, "payment_method": payment_method}
    with transaction.atomic():
        try:
            with transaction.atomic():
                payment = Payment.objects.create(**same, payment_method_label=label, idempotency_key=idempotency_key)
        except IntegrityError:
            # The key was used before (or concurrently, and that request committed first).
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            if any(getattr(existing, name) != value for name, value in same.items()):
                raise errors.PaymentIdempotencyKeyReused() from None
            return existing
        _new_transaction(payment, TransactionKind.AUTHORIZE, amount, idempotency_key, actor=actor)
    logger.info("payment %s started for order %s: %s %s via %s", payment.pk, order_ref, amount, currency, gateway)
    return payment


def capture_payment(payment: Payment, *, amount: Decimal | str | None = None, final: bool = True,
                    idempotency_key: str, actor: User | None = None) -> PaymentTransaction:
    """Capture `amount` (default: all that is left) of the authorization. A final capture releases
    the rest: grocery captures the picked total, often less than authorized."""
    wanted = None if amount is None else _amount(amount)
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        repeat = _repeat(payment, TransactionKind.CAPTURE, idempotency_key, amount=wanted, final=final)
        if repeat is not None:
            return repeat
        ledger = list(payment.transactions.all())
        if payment.authorized_amount == 0:
            raise errors.PaymentNotCapturable(f"The payment is {payment.get_state_display().lower()}, not authorized.")
        closing = [t for t in ledger if t.status != TransactionStatus.FAILED
                   and (t.kind == TransactionKind.VOID or (t.kind == TransactionKind.CAPTURE and t.final))]
        if closing:
            raise errors.PaymentNotCapturable(f"The payment was closed by a {closing[0].kind}; nothing more can be "
                                              "captured.")
        available = payment.authorized_amount - payment.captured_amount - payment.capture_pending_amount
        if available <= 0:
            raise errors.PaymentNotCapturable("Everything authorized is captured or being captured.")
        wanted = available if wanted is None else wanted
        if wanted > available:
            message = f"At most {available} {payment.currency} can be captured; {wanted} was asked."
            raise errors.CaptureExceedsAuthorized(message, fields={"amount": [message]})
        payment.capture_pending_amount += wanted
        payment.save(update_fields=["capture_pending_amount", "updated_at"])
        return _new_transaction(payment, TransactionKind.CAPTURE, wanted, idempotency_key, actor=actor, final=final)


def refund_payment(payment: Payment, *, amount: Decimal | str, reason: str, idempotency_key: str,
                   actor: User | None = None) -> PaymentTransaction:
    """Give back (part of) what was captured."""
    wanted = _amount(amount)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the money is refunded.", fields={"reason": ["This field is required."]})
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        repeat = _repeat(payment, TransactionKind.REFUND, idempotency_key, amount=wanted)
        if repeat is not None:
            return repeat
        if payment.captured_amount == 0:
            raise errors.PaymentNotRefundable()
        available = payment.captured_amount - payment.refunded_amount - payment.refund_pending_amount
        if wanted > available:
            message = f"At most {available} {payment.currency} can be refunded; {wanted} was asked."
            raise errors.RefundExceedsCaptured(message, fields={"amount": [message]})
        payment.refund_pending_amount += wanted
        payment.save(update_fields=["refund_pending_amount", "updated_at"])
        return _new_transaction(payment, TransactionKind.REFUND, wanted, idempotency_key, actor=actor, reason=reason)


def void_payment(payment: Payment, *, reason: str = "", idempotency_key: str,
                 actor: User | None = None) -> PaymentTransaction:
    """Release what is left of the authorization (the order was cancelled, or it lapsed)."""
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        repeat = _repeat(payment, TransactionKind.VOID, idempotency_key)
        if repeat is not None:
            return repeat
        if payment.authorized_amount == 0:
            raise errors.PaymentNotVoidable(f"The payment is {payment.get_state_display().lower()}, not authorized.")
        if payment.capture_pending_amount > 0:
            raise errors.PaymentNotVoidable("A capture is in progress; void after it completed.")
        remaining = payment.authorized_amount - payment.captured_amount
        closing = payment.transactions.exclude(status=TransactionStatus.FAILED).filter(
            Q(kind=TransactionKind.VOID) | Q(kind=TransactionKind.CAPTURE, final=True))
        if remaining <= 0 or closing.exists():
            raise errors.PaymentNotVoidable("Nothing is left of the authorization to void.")
        return _new_transaction(payment, TransactionKind.VOID, remaining, idempotency_key, actor=actor,
                                reason=reason.strip())


def execute_transaction(transaction_id: int) -> PaymentTransaction | None:
    """Call the gateway for a pending transaction and record the answer. Safe to repeat: the
    provider idempotency key makes a repeated call return the first call's outcome, and a
    completed transaction is not called again. Raises GatewayUnavailable when the outcome is
    unknown (the task retries)."""
    txn = PaymentTransaction.objects.select_related("payment").filter(pk=transaction_id).first()
    if txn is None or not txn.is_pending:
        return txn
    payment = txn.payment
    if txn.kind == TransactionKind.AUTHORIZE and txn.provider_reference:
        return txn  # acknowledged as pending by the provider: the outcome comes by webhook
    authorization = payment.transactions.filter(kind=TransactionKind.AUTHORIZE).first()
    request = OperationRequest(
        kind=txn.kind, idempotency_key=txn.provider_idempotency_key, amount=txn.amount, currency=payment.currency,
        payment_method=payment.payment_method if txn.kind == TransactionKind.AUTHORIZE else "",
        charge_reference=authorization.provider_reference if authorization else "", final=txn.final,
        reason=txn.reason, metadata={"payment_id": str(payment.pk), "order_ref": payment.order_ref},
    )
    PaymentTransaction.objects.filter(pk=txn.pk).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    result = get_gateway(payment.gateway).execute(request)
    return record_outcome(txn.pk, result)


def stalled_transactions(older_than: timedelta) -> list[int]:
    """Pending transactions whose gateway call never got an answer (their tasks gave up or were
    lost); the beat job queues them again. Pending authorizations the provider acknowledged wait
    for their webhook instead."""
    cutoff = timezone.now() - older_than
    pending = PaymentTransaction.objects.filter(status=TransactionStatus.PENDING, updated_at__lt=cutoff)
    stalled = pending.exclude(kind=TransactionKind.AUTHORIZE, provider_reference__gt="")
    ids = list(stalled.order_by("id").values_list("id", flat=True)[:500])
    for txn_id in ids:
        PaymentTransaction.objects.filter(pk=txn_id).update(updated_at=timezone.now())
        _enqueue(txn_id)
    return ids


def expire_authorizations(now: datetime | None = None) -> int:
    """Void the authorizations about to lapse at the provider uncaptured, so the customer's bank
    releases the hold and the ledger says the payment expired."""
    margin = timedelta(minutes=settings.PAYMENTS_EXPIRY_MARGIN_MINUTES)
    voiding = PaymentTransaction.objects.filter(payment=OuterRef("pk"), kind=TransactionKind.VOID,
                                                status=TransactionStatus.PENDING)
    due = Payment.objects.filter(state=PaymentState.AUTHORIZED, expires_at__lte=(now or timezone.now()) + margin)
    due = due.exclude(Exists(voiding))
    expired = 0
    for payment in due.order_by("id")[:500]:
        try:
            void_payment(payment, reason=EXPIRY_REASON, idempotency_key="authorization-expiry")
            expired += 1
        except Conflict:
            continue  # captured or voided in the meantime
    return expired


def ensure_finance_group() -> Group:
    """The finance role: sees payments and captures, voids and refunds them (the payments data
    migration creates it; this tops it up, e.g. after a test database was flushed)."""
    group = Group.objects.filter(name__iexact=FINANCE_GROUP).first() or Group.objects.create(name=FINANCE_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="payments"))
    return group
