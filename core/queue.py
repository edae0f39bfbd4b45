"""Queueing Celery work by task name, once the current transaction commits.

An app's tasks module imports its services, so the services name the tasks instead of importing
them: no import runs in a circle, and no import hides inside a function to dodge one. The names are
the tasks' registered names, which beat schedules and queued messages already use. A task the
process has registered (each app's `AppConfig.ready` imports its tasks module) is queued through
the task itself, so it also runs eagerly when Celery is configured to (the embedded `make run`).
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args: int | str, countdown: float | None = None) -> None:
    """Queue the task with these arguments (ids: the task re-reads the state) after the commit;
    at once outside a transaction."""
    signature = current_app.signature(task_name, args=args, countdown=countdown)
    transaction.on_commit(signature.apply_async)


def queue_lengths(names: list[str]) -> dict[str, int | None]:
    """Messages waiting on each Celery queue of the broker (None: the broker did not say).
    Kombu's virtual transports (Redis, memory) count a queue with `_size`; there is no public
    call that counts without declaring the queue."""
    lengths: dict[str, int | None] = dict.fromkeys(names)
    try:
        with current_app.connection_for_read() as connection:
            channel = connection.default_channel
            for name in names:
                lengths[name] = int(channel._size(name))  # type: ignore[attr-defined]
    except Exception as exc:  # a dashboard figure: a broker that does not answer shows as unknown
        logger.warning("celery queue lengths unknown: %s", exc)
    return lengths
