"""The payments tasks the services queue, by name, after the commit (core.queue says why)."""

from core.queue import enqueue_on_commit

EXECUTE_TRANSACTION = "payments.execute_transaction"
APPLY_WEBHOOK_EVENT = "payments.apply_webhook_event"


def execute_transaction_later(transaction_id: int) -> None:
    enqueue_on_commit(EXECUTE_TRANSACTION, transaction_id)


def apply_webhook_event_later(webhook_event_id: int) -> None:
    enqueue_on_commit(APPLY_WEBHOOK_EVENT, webhook_event_id)
