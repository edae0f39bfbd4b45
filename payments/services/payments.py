"""Starting a payment and asking for captures, voids and refunds.

Each request is one pending ledger transaction, checked and reserved under the payment's row
lock (so concurrent requests cannot together capture or refund too much), and one Celery task
queued on commit that calls the gateway (execution.execute_transaction). The same idempotency key
is the same request: it returns what the first one created. Orders call these; so do the staff API
and the admin.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from core.db.inserts import insert_with_children
from core.errors import Conflict, InvalidInput
from core.money import InvalidAmount, is_currency, parse_amount
from payments import errors, selectors
from payments.gateways import get_gateway
from payments.models import EXPIRY_REASON, Payment, PaymentTransaction, TransactionKind, TransactionStatus
from payments.services.queue import execute_transaction_later
from payments.services.recording import lock_payment

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("9999999999.99")  # what the ledger's columns hold


def _amount(value: Decimal | str | int, field: str = "amount") -> Decimal:
    try:
        amount = parse_amount(value)
    except InvalidAmount:
        amount = None
    if amount is None or not 0 < amount <= MAX_AMOUNT:
        raise errors.InvalidAmount(fields={field: ["Must be a positive amount with at most two decimals."]})
    return amount


def _currency(code: str) -> str:
    if not is_currency(code):
        raise InvalidInput(
            "The currency must be an ISO 4217 code like EUR.", fields={"currency": ["Not a currency code."]}
        )
    return code


def _new_transaction(
    payment: Payment,
    kind: str,
    amount: Decimal,
    idempotency_key: str,
    *,
    actor: User | None,
    final: bool = False,
    reason: str = "",
) -> PaymentTransaction:
    txn = _transaction(payment, kind, amount, idempotency_key, actor=actor, final=final, reason=reason)
    txn.save(force_insert=True)
    execute_transaction_later(txn.pk)
    return txn


def _transaction(
    payment: Payment,
    kind: str,
    amount: Decimal,
    idempotency_key: str,
    *,
    actor: User | None,
    final: bool = False,
    reason: str = "",
) -> PaymentTransaction:
    return PaymentTransaction(
        payment=payment,
        kind=kind,
        amount=amount,
        final=final,
        reason=reason,
        idempotency_key=idempotency_key,
        provider_idempotency_key=uuid.uuid4().hex,
        actor=actor,
    )


def _repeat(payment: Payment, kind: str, idempotency_key: str, **same: object) -> PaymentTransaction | None:
    """The transaction an earlier request with this key created, if any; the key with other
    values is refused."""
    txn = payment.transactions.filter(kind=kind, idempotency_key=idempotency_key).first()
    if txn is not None and any(value is not None and getattr(txn, name) != value for name, value in same.items()):
        raise errors.PaymentIdempotencyKeyReused()
    return txn


def start_payment(
    *,
    order_ref: str,
    customer: User,
    amount: Decimal | str,
    currency: str,
    gateway: str,
    payment_method: str,
    idempotency_key: str,
    actor: User | None = None,
) -> Payment:
    """A payment for one order attempt, its pending authorization, and the gateway call queued."""
    amount, currency = _amount(amount), _currency(currency)
    if not order_ref or not idempotency_key:
        raise InvalidInput(
            fields={
                name: ["This field is required."]
                for name, value in (("order_ref", order_ref), ("idempotency_key", idempotency_key))
                if not value
            }
        )
    label = get_gateway(gateway).describe_payment_method(payment_method)
    same = {
        "order_ref": order_ref,
        "customer_id": customer.pk,
        "amount": amount,
        "currency": currency,
        "gateway": gateway,
        "payment_method": payment_method,
    }
    # No savepoint around the INSERT: a key used before (or concurrently, and that request
    # committed first) is a conflict that writes nothing, and the caller's transaction goes on.
    with transaction.atomic(savepoint=False):
        payment = Payment(**same, payment_method_label=label, idempotency_key=idempotency_key)
        # The payment and its pending authorization in one statement (none on a conflict).
        authorization = _transaction(payment, TransactionKind.AUTHORIZE, amount, idempotency_key, actor=actor)
        # The authorization's save signals as its create() sent them (the payment's never were).
        pre_save.send(sender=PaymentTransaction, instance=authorization, raw=False, using="default", update_fields=None)
        created = insert_with_children(payment, [authorization], "payment", unless_conflict=True)
        if created:
            post_save.send(
                sender=PaymentTransaction,
                instance=authorization,
                created=True,
                raw=False,
                using="default",
                update_fields=None,
            )
            execute_transaction_later(authorization.pk)
    if not created:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:  # another unique rule refused it: let it say which
            Payment.objects.create(**same, payment_method_label=label, idempotency_key=idempotency_key)
            raise AssertionError("unreachable: the INSERT above conflicted")
        if any(getattr(existing, name) != value for name, value in same.items()):
            raise errors.PaymentIdempotencyKeyReused()
        return existing
    logger.info("payment %s started for order %s: %s %s via %s", payment.pk, order_ref, amount, currency, gateway)
    return payment


def capture_payment(
    payment: Payment,
    *,
    amount: Decimal | str | None = None,
    final: bool = True,
    idempotency_key: str,
    actor: User | None = None,
) -> PaymentTransaction:
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
        closing = [
            t
            for t in ledger
            if t.status != TransactionStatus.FAILED
            and (t.kind == TransactionKind.VOID or (t.kind == TransactionKind.CAPTURE and t.final))
        ]
        if closing:
            raise errors.PaymentNotCapturable(
                f"The payment was closed by a {closing[0].kind}; nothing more can be captured."
            )
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


def refund_payment(
    payment: Payment, *, amount: Decimal | str, reason: str, idempotency_key: str, actor: User | None = None
) -> PaymentTransaction:
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


def void_payment(
    payment: Payment, *, reason: str = "", idempotency_key: str, actor: User | None = None
) -> PaymentTransaction:
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
            Q(kind=TransactionKind.VOID) | Q(kind=TransactionKind.CAPTURE, final=True)
        )
        if remaining <= 0 or closing.exists():
            raise errors.PaymentNotVoidable("Nothing is left of the authorization to void.")
        return _new_transaction(
            payment, TransactionKind.VOID, remaining, idempotency_key, actor=actor, reason=reason.strip()
        )


def expire_authorizations(now: datetime | None = None) -> int:
    """Void the authorizations about to lapse at the provider uncaptured, so the customer's bank
    releases the hold and the ledger says the payment expired."""
    margin = timedelta(minutes=settings.PAYMENTS_EXPIRY_MARGIN_MINUTES)
    due = selectors.authorizations_due_to_expire((now or timezone.now()) + margin)
    expired = 0
    for payment in due:
        try:
            void_payment(payment, reason=EXPIRY_REASON, idempotency_key="authorization-expiry")
            expired += 1
        except Conflict:
            continue  # captured or voided in the meantime
    return expired
