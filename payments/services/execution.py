"""Calling the gateway for pending ledger transactions: the work of the gateway task, and the
redrive of calls that never got an answer."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from payments import selectors
from payments.gateways import get_gateway
from payments.gateways.base import OperationRequest
from payments.models import PaymentTransaction, TransactionKind
from payments.services.queue import execute_transaction_later
from payments.services.recording import record_outcome


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
        kind=txn.kind,
        idempotency_key=txn.provider_idempotency_key,
        amount=txn.amount,
        currency=payment.currency,
        payment_method=payment.payment_method if txn.kind == TransactionKind.AUTHORIZE else "",
        charge_reference=authorization.provider_reference if authorization else "",
        final=txn.final,
        reason=txn.reason,
        metadata={"payment_id": str(payment.pk), "order_ref": payment.order_ref},
    )
    PaymentTransaction.objects.filter(pk=txn.pk).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    result = get_gateway(payment.gateway).execute(request)
    return record_outcome(txn.pk, result)


def requeue_stalled_transactions(older_than: timedelta) -> list[int]:
    """Queue the gateway call again for pending transactions that never got an answer (their
    tasks gave up or were lost); returns their ids. Pending authorizations the provider
    acknowledged wait for their webhook instead (see selectors.stalled_transaction_ids)."""
    ids = selectors.stalled_transaction_ids(older_than)
    for txn_id in ids:
        PaymentTransaction.objects.filter(pk=txn_id).update(updated_at=timezone.now())
        execute_transaction_later(txn_id)
    return ids
