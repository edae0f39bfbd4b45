"""Queueing Celery work by task name, once the current transaction commits.

An app's tasks module imports its services, so the services name the tasks instead of importing
them: no import runs in a circle, and no import hides inside a function to dodge one. The names are
the tasks' registered names, which beat schedules and queued messages already use. A task the
process has registered (each app's `AppConfig.ready` imports its tasks module) is queued through
the task itself, so it also runs eagerly when Celery is configured to (the embedded `make run`).
"""

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args: int | str, countdown: float | None = None) -> None:
    """Queue the task with these arguments (ids: the task re-reads the state) after the commit;
    at once outside a transaction."""
    signature = current_app.signature(task_name, args=args, countdown=countdown)
    transaction.on_commit(signature.apply_async)
