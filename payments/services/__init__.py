"""Every write of payments, each in a transaction, by concept:

- `payments`: starting a payment and asking for captures, voids and refunds (what orders, the staff
  API and the admin call), and voiding lapsing authorizations;
- `execution`: calling the gateway for a pending ledger transaction (the Celery task's work);
- `recording`: completing ledger transactions with the gateway's answer, and the domain events;
- `webhooks`: receiving, storing and applying the providers' signed notifications;
- `queue`: queueing the Celery tasks by name after the commit (the tasks module imports the
  services, never the other way round);
- `queues`: the back office's work-queue actions (retry, give up, re-capture);
- `roles`: the finance group.
"""

from payments.services.execution import execute_transaction, requeue_stalled_transactions
from payments.services.payments import (
    capture_payment,
    expire_authorizations,
    refund_payment,
    start_payment,
    void_payment,
)
from payments.services.queues import give_up_transaction, recapture, retry_transaction
from payments.services.roles import ensure_finance_group
from payments.services.webhooks import apply_webhook_event, receive_webhook, requeue_unapplied_webhooks

__all__ = [
    "apply_webhook_event",
    "capture_payment",
    "ensure_finance_group",
    "execute_transaction",
    "expire_authorizations",
    "give_up_transaction",
    "recapture",
    "receive_webhook",
    "refund_payment",
    "requeue_stalled_transactions",
    "requeue_unapplied_webhooks",
    "retry_transaction",
    "start_payment",
    "void_payment",
]
