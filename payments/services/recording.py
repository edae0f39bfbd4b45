"""Recording what the gateway answered: the one place that completes ledger transactions.

A pending transaction is completed once, under the payment's row lock, whichever arrives first:
the task's call to the gateway or a webhook. Completion moves the running totals, derives the
payment's state from the ledger and sends the domain events, all in one database transaction.
Webhooks carry the provider's view of every operation on a charge; merging them only ever moves a
pending transaction to its outcome, never back, which is why replays and out-of-order deliveries
end in the same state as one orderly delivery.
"""

import logging
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.money import ZERO
from events.contracts import money
from payments.gateways.base import OperationResult, OperationSnapshot, WebhookNotification
from payments.models import (
    EXPIRY_REASON,
    Payment,
    PaymentState,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from payments.signals import payment_authorized, payment_completed, payment_failed, payment_refunded
from proto.events.v1 import payments_pb2

logger = logging.getLogger(__name__)

KIND_ORDER = [TransactionKind.AUTHORIZE, TransactionKind.CAPTURE, TransactionKind.VOID, TransactionKind.REFUND]


def _sum(transactions: Iterable[PaymentTransaction], kind: str) -> Decimal:
    return sum((t.amount for t in transactions if t.kind == kind and t.status == TransactionStatus.SUCCEEDED), ZERO)


def capture_closed(transactions: list[PaymentTransaction]) -> bool:
    """No more can be captured: a final capture or a void succeeded, or everything authorized
    was captured."""
    succeeded = [t for t in transactions if t.status == TransactionStatus.SUCCEEDED]
    authorized = _sum(succeeded, TransactionKind.AUTHORIZE)
    return any(
        t.kind == TransactionKind.VOID or (t.kind == TransactionKind.CAPTURE and t.final) for t in succeeded
    ) or (authorized > 0 and _sum(succeeded, TransactionKind.CAPTURE) >= authorized)


def derive_state(transactions: Iterable[PaymentTransaction]) -> PaymentState:
    """The payment's state, from its ledger alone."""
    ledger = list(transactions)
    authorization = next((t for t in ledger if t.kind == TransactionKind.AUTHORIZE), None)
    if authorization is None or authorization.status == TransactionStatus.PENDING:
        return PaymentState.PENDING
    if authorization.status == TransactionStatus.FAILED:
        return PaymentState.FAILED
    captured, refunded = _sum(ledger, TransactionKind.CAPTURE), _sum(ledger, TransactionKind.REFUND)
    if captured == 0:
        void = next(
            (t for t in ledger if t.kind == TransactionKind.VOID and t.status == TransactionStatus.SUCCEEDED), None
        )
        if void is None:
            return PaymentState.AUTHORIZED
        return PaymentState.EXPIRED if void.reason == EXPIRY_REASON else PaymentState.VOIDED
    if refunded > 0:
        return PaymentState.REFUNDED if refunded >= captured else PaymentState.PARTIALLY_REFUNDED
    return PaymentState.CAPTURED if capture_closed(ledger) else PaymentState.PARTIALLY_CAPTURED


def lock_payment(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def record_outcome(transaction_id: int, result: OperationResult) -> PaymentTransaction:
    """Complete a pending transaction with the gateway's answer (nothing if it is complete)."""
    with transaction.atomic():
        payment_id = PaymentTransaction.objects.values_list("payment_id", flat=True).get(pk=transaction_id)
        payment = lock_payment(payment_id)
        txn = PaymentTransaction.objects.get(pk=transaction_id)
        apply_result(payment, txn, result)
        return txn


def apply_result(payment: Payment, txn: PaymentTransaction, result: OperationResult) -> bool:
    """The caller holds the payment's lock. True when the transaction was completed now."""
    if not txn.is_pending:
        return False
    txn.provider_reference = result.reference or txn.provider_reference
    txn.provider_response = dict(result.response)
    if result.status == TransactionStatus.PENDING:
        # The provider acknowledged and will tell the outcome later (by webhook).
        txn.save(update_fields=["provider_reference", "provider_response", "updated_at"])
        return False
    now = timezone.now()
    txn.status, txn.completed_at = result.status, now
    txn.failure_code, txn.failure_message = result.failure_code, result.failure_message
    txn.save()

    succeeded = result.status == TransactionStatus.SUCCEEDED
    if txn.kind == TransactionKind.AUTHORIZE:
        if succeeded:
            payment.authorized_amount, payment.authorized_at, payment.expires_at = txn.amount, now, result.expires_at
        else:
            payment.failure_code, payment.failure_message = result.failure_code, result.failure_message
    elif txn.kind == TransactionKind.CAPTURE:
        payment.capture_pending_amount -= txn.amount
        payment.captured_amount += txn.amount if succeeded else ZERO
    elif txn.kind == TransactionKind.REFUND:
        payment.refund_pending_amount -= txn.amount
        payment.refunded_amount += txn.amount if succeeded else ZERO
    ledger = list(payment.transactions.all())
    payment.state = derive_state(ledger)
    payment.save()
    _send_events(payment, txn, ledger)
    logger.info("payment %s %s %s %s: %s", payment.pk, txn.kind, txn.amount, txn.status, payment.state)
    return True


def _send_events(payment: Payment, txn: PaymentTransaction, ledger: list[PaymentTransaction]) -> None:
    aggregate_id = str(payment.pk)
    at = txn.completed_at or timezone.now()
    if txn.status == TransactionStatus.FAILED:
        if txn.kind in (TransactionKind.AUTHORIZE, TransactionKind.CAPTURE):
            failed = payments_pb2.PaymentFailed(
                payment_id=str(payment.pk),
                order_id=payment.order_ref,
                gateway=payment.gateway,
                failure_code=txn.failure_code or "gateway_failed",
                failure_message=txn.failure_message,
            )
            failed.failed_at.FromDatetime(at)
            payment_failed.send_event(sender=Payment, aggregate_id=aggregate_id, payload=failed)
        return
    if txn.kind == TransactionKind.AUTHORIZE:
        authorized = payments_pb2.PaymentAuthorized(
            payment_id=str(payment.pk),
            order_id=payment.order_ref,
            gateway=payment.gateway,
            amount=money(txn.amount, payment.currency),
            provider_reference=txn.provider_reference,
        )
        authorized.authorized_at.FromDatetime(at)
        payment_authorized.send_event(sender=Payment, aggregate_id=aggregate_id, payload=authorized)
    elif txn.kind == TransactionKind.REFUND:
        refunded = payments_pb2.PaymentRefunded(
            payment_id=str(payment.pk),
            order_id=payment.order_ref,
            refund_id=str(txn.pk),
            amount=money(txn.amount, payment.currency),
            total_refunded=money(payment.refunded_amount, payment.currency),
            reason=txn.reason,
        )
        refunded.refunded_at.FromDatetime(at)
        payment_refunded.send_event(sender=Payment, aggregate_id=aggregate_id, payload=refunded)
    # Completed once: when this capture or void closed capturing with money captured.
    closes = txn.kind in (TransactionKind.CAPTURE, TransactionKind.VOID)
    if (
        closes
        and payment.captured_amount > 0
        and capture_closed(ledger)
        and not capture_closed([t for t in ledger if t.pk != txn.pk])
    ):
        completed = payments_pb2.PaymentCompleted(
            payment_id=str(payment.pk),
            order_id=payment.order_ref,
            captured_amount=money(payment.captured_amount, payment.currency),
        )
        completed.captured_at.FromDatetime(at)
        payment_completed.send_event(sender=Payment, aggregate_id=aggregate_id, payload=completed)


# --- Webhooks ------------------------------------------------------------------------------------


def apply_notification(notification: WebhookNotification) -> str:
    """Merge the provider's view of a charge into our ledger; returns what it did, for the record."""
    keys = [op.idempotency_key for op in notification.operations if op.idempotency_key]
    ours = PaymentTransaction.objects.values_list("payment_id", flat=True)
    payment_id = (
        ours.filter(provider_idempotency_key__in=keys).first()
        or ours.filter(kind=TransactionKind.AUTHORIZE, provider_reference=notification.charge_reference).first()
    )
    if payment_id is None:
        return f"ignored: no payment for charge {notification.charge_reference}"
    with transaction.atomic():
        payment = lock_payment(payment_id)
        ledger = {t.provider_idempotency_key: t for t in payment.transactions.all()}
        completed = 0
        operations = sorted(notification.operations, key=lambda op: KIND_ORDER.index(TransactionKind(op.kind)))
        for operation in operations:
            txn = ledger.get(operation.idempotency_key) or _adopt(payment, operation)
            if txn is not None and apply_result(payment, txn, operation.result):
                completed += 1
    return f"payment {payment_id}: {completed or 'no'} transaction(s) completed"


def _adopt(payment: Payment, operation: OperationSnapshot) -> PaymentTransaction | None:
    """A capture, void or refund made at the provider without us (in its dashboard): record it,
    within the same limits as one we asked for, so the ledger matches the money."""
    if operation.kind == TransactionKind.AUTHORIZE or operation.result.status != TransactionStatus.SUCCEEDED:
        return None
    if payment.transactions.filter(provider_reference=operation.result.reference).exists():
        return None
    if operation.kind == TransactionKind.CAPTURE:
        payment.capture_pending_amount += operation.amount
    elif operation.kind == TransactionKind.REFUND:
        payment.refund_pending_amount += operation.amount
    payment.save()  # the CHECK constraints refuse what our ledger cannot explain: the webhook fails loudly
    logger.warning("payment %s: adopting %s %s made at the provider", payment.pk, operation.kind, operation.amount)
    return PaymentTransaction.objects.create(
        payment=payment,
        kind=operation.kind,
        amount=operation.amount,
        final=operation.final,
        reason="made at the provider",
        idempotency_key=f"provider:{operation.result.reference}",
        provider_idempotency_key=operation.idempotency_key[:64] or uuid.uuid4().hex,
    )
