"""Queueing Celery work of payments by task name, once the current transaction commits.

The tasks module imports the services, so the services name the tasks instead of importing them:
no import runs in a circle. The names are the tasks' registered names, which beat schedules and
queued messages already use. A task the process has registered (PaymentsConfig.ready imports the
tasks modules) is queued through the task itself, so it also runs eagerly when Celery is
configured to (the embedded `make run`).
"""

from celery import current_app
from django.db import transaction

EXECUTE_TRANSACTION = "payments.execute_transaction"
APPLY_WEBHOOK_EVENT = "payments.apply_webhook_event"


def enqueue_on_commit(task_name: str, *args: int | str, countdown: float | None = None) -> None:
    """Queue the task with these arguments (ids: the task re-reads the state) after the commit;
    at once outside a transaction."""
    signature = current_app.signature(task_name, args=args, countdown=countdown)
    transaction.on_commit(signature.apply_async)


def execute_transaction_later(transaction_id: int) -> None:
    enqueue_on_commit(EXECUTE_TRANSACTION, transaction_id)


def apply_webhook_event_later(webhook_event_id: int) -> None:
    enqueue_on_commit(APPLY_WEBHOOK_EVENT, webhook_event_id)
