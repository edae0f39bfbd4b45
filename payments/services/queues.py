"""What finance does from the back office's work queue: retry a stuck transaction, give it up,
or capture again after a capture failed. Each is one of the ledger's own operations: a retry
queues the same gateway call (same provider idempotency key, so nothing is charged twice), giving
up completes the transaction as failed (with its events), a re-capture is a new capture."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from payments import errors
from payments.gateways.base import OperationResult
from payments.models import PaymentTransaction, TransactionKind, TransactionStatus
from payments.services.payments import capture_payment
from payments.services.queue import execute_transaction_later
from payments.services.recording import record_outcome

if TYPE_CHECKING:
    from accounts.models import User

GIVEN_UP = "given_up"


def _pending(transaction_id: int) -> PaymentTransaction:
    txn = PaymentTransaction.objects.select_for_update().filter(pk=transaction_id).first()
    if txn is None:
        raise errors.PaymentNotFound("There is no such payment transaction.")
    if txn.status != TransactionStatus.PENDING:
        raise errors.TransactionNotPending()
    return txn


def retry_transaction(transaction_id: int) -> PaymentTransaction:
    """Call the gateway again for a pending transaction (after the commit, by the worker)."""
    with transaction.atomic():
        txn = _pending(transaction_id)
        txn.updated_at = timezone.now()
        txn.save(update_fields=["updated_at"])
        execute_transaction_later(txn.pk)
    return txn


def give_up_transaction(transaction_id: int, *, reason: str) -> PaymentTransaction:
    """Complete a pending transaction as failed: the provider is not asked again. The totals,
    the payment's state and the events follow as for a failure the provider reported."""
    with transaction.atomic():
        _pending(transaction_id)
        message = f"Given up by staff: {reason.strip()}"[:255] if reason.strip() else "Given up by staff."
        return record_outcome(
            transaction_id,
            OperationResult(status=TransactionStatus.FAILED, failure_code=GIVEN_UP, failure_message=message),
        )


def recapture(transaction_id: int, *, actor: "User | None" = None) -> PaymentTransaction:
    """Capture again what a failed capture asked for (as a final capture if it was one). The key
    is derived from the failed transaction, so a second click captures nothing more."""
    with transaction.atomic():
        failed = PaymentTransaction.objects.select_related("payment").filter(pk=transaction_id).first()
        if failed is None or failed.kind != TransactionKind.CAPTURE or failed.status != TransactionStatus.FAILED:
            raise errors.NothingToRecapture()
        return capture_payment(
            failed.payment,
            amount=failed.amount,
            final=failed.final,
            idempotency_key=f"recapture:{failed.pk}",
            actor=actor,
        )
