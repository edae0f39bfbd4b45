"""Queueing Celery work by task name, once the current transaction commits.

An app's tasks module imports its services, so the services name the tasks instead of importing
them: no import runs in a circle, and no import hides inside a function to dodge one. The names are
the tasks' registered names, which beat schedules and queued messages already use. A task the
process has registered (each app's `AppConfig.ready` imports its tasks module) is queued through
the task itself, so it also runs eagerly when Celery is configured to (the embedded `make run`).

A broker that is away when the transaction commits does not lose the work: the task is written to
the database (core.models.DeferredTask) and re-driven once the broker answers again, by the next
enqueue of this process and by beat every 30 s (docs/decisions/0061). The request that committed
is not failed for it: its change is already committed.
"""

import logging
import os
import threading
from typing import Any

from celery import Celery, current_app
from django.db import DatabaseError, transaction
from django.db.models import F
from kombu.exceptions import InconsistencyError, OperationalError
from redis.exceptions import RedisError

from core.models import DeferredTask
from core.outages import outage

logger = logging.getLogger(__name__)

BROKER = "broker"
# After a failed send, the sends of the next seconds go straight to the database instead of each
# waiting on a broker that just failed; the first send after that tries the broker again.
RETRY_BROKER_AFTER_SECONDS = 2.0
# What a publish raises when the broker did not take the message: kombu's wrapping of a lost
# connection (after the retry policy), Redis' own errors (a timeout, a refused or read-only server,
# out of memory) and the socket's. Anything else (a TypeError from Celery's argument check, an
# argument JSON cannot encode) is a bug in the caller: kept in the database it would fail the same
# way on every re-drive, so it is raised instead.
BROKER_ERRORS: tuple[type[Exception], ...] = (OperationalError, InconsistencyError, RedisError, OSError)


def enqueue_on_commit(task_name: str, *args: int | str, countdown: float | None = None) -> None:
    """Queue the task with these arguments (ids: the task re-reads the state) after the commit;
    at once outside a transaction."""
    transaction.on_commit(lambda: _send(task_name, list(args), countdown))


def _send(task_name: str, args: list[int | str], countdown: float | None) -> None:
    state = outage(BROKER)
    # The broker's state first: Celery's settings are slow to read (each looks in several places).
    if state.recently_failed(RETRY_BROKER_AFTER_SECONDS) and not current_app.conf.task_always_eager:
        _defer(task_name, args, countdown, state.error)  # the broker failed just now: do not wait on it
        return
    try:
        _publish(current_app, task_name, args, countdown)
    except BROKER_ERRORS as exc:  # "not queued"; any other exception is the caller's bug and propagates
        if current_app.conf.task_always_eager:
            raise  # the embedded run executes the task here: its failure is the task's, not the broker's
        _drop_producer()
        state.failed(exc, what="enqueue")
        _defer(task_name, args, countdown, f"{type(exc).__name__}: {exc}")
        return
    if state.succeeded() is not None:
        redrive_deferred()


_held = threading.local()  # this thread's .producer, the .pid and .app it was made for, the tasks it .declared


def _publish(app: Celery, task_name: str, args: list[int | str], countdown: float | None) -> None:
    """Celery's own publish (the task's argument check, its options, routing, the publish signals
    tracing hooks into, the retry policy; run at once when eager), through this thread's producer.
    Celery would otherwise take a producer from its pool and give it back for every message, and
    a Signature adds a layer of options merging. The task's queue is declared by the first publish
    of the task on a producer; kombu remembers declarations, but binds a copy of the queue and its
    exchange on every publish before it looks (the worker declares its queues itself, and on
    Redis the message goes straight to the queue's list)."""
    producer, declared = _producer(app)
    # Nobody waits on these tasks' results (they re-read the state): ignore_result spares the
    # Redis result backend's SUBSCRIBE and UNSUBSCRIBE to each task's result channel, two
    # round trips per task on the request's path, and the worker's storing of a result.
    options: dict[str, Any] = {"countdown": countdown, "ignore_result": True, "producer": producer}
    if task_name in declared:
        options["declare"] = []
    task = app.tasks.get(task_name)
    if task is None:  # not registered in this process: by name (no argument check here)
        app.send_task(task_name, tuple(args), **options)
    else:
        task.apply_async(tuple(args), **options)  # a tuple, as a Signature made it: "(7,)" in the logs
    declared.add(task_name)


def _producer(app: Celery) -> tuple[Any, set[str]]:
    """This thread's producer, on a broker connection of its own (connected on first use; kombu
    reconnects it under the publish retry policy), with the tasks whose queue it declared. Per
    thread, as kombu connections are not to be shared between threads; made again after a fork
    (the parent's socket is not this process's) and after a broker error. A connection of its own
    rather than one held from Celery's pool, which threads holding theirs for good would drain."""
    app = getattr(app, "_get_current_object", lambda: app)()  # the app itself, not current_app's proxy
    held = getattr(_held, "producer", None)
    if held is None or _held.pid != os.getpid() or _held.app is not app:
        held = app.amqp.Producer(app.connection_for_write(), auto_declare=False)
        _held.producer, _held.pid, _held.app, _held.declared = held, os.getpid(), app, set()
    return held, _held.declared


def _drop_producer() -> None:
    """After a broker error the next publish starts on a fresh connection."""
    held, _held.producer = getattr(_held, "producer", None), None
    if held is not None and _held.pid == os.getpid():
        try:
            held.connection.close()
        except Exception:  # already broken: nothing to release
            logger.debug("broker connection not closed cleanly", exc_info=True)


def _defer(task_name: str, args: list[int | str], countdown: float | None, error: str) -> None:
    DeferredTask.objects.create(task_name=task_name, args=args, countdown=countdown, last_error=error[:2000])
    logger.warning("broker unavailable: %s%s kept in the database to be queued later", task_name, tuple(args))


def redrive_deferred(limit: int = 500) -> int:
    """Queue the deferred tasks, oldest first; each row goes once queued. Returns how many were
    queued; stops at the first broker failure (the rest wait for the next call)."""
    queued = 0
    try:
        with transaction.atomic():
            rows = list(DeferredTask.objects.select_for_update(skip_locked=True).order_by("id")[:limit])
            for row in rows:
                try:
                    _publish(current_app, row.task_name, row.args, row.countdown)
                except Exception as exc:
                    DeferredTask.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
                    )
                    if not isinstance(exc, BROKER_ERRORS):
                        # A row the broker is not to blame for (kept before programming errors were
                        # told apart): it stays, with its error, and does not hold up the others.
                        logger.error("deferred task %s%s not queued", row.task_name, tuple(row.args), exc_info=True)
                        continue
                    _drop_producer()
                    outage(BROKER).failed(exc, what="redrive")
                    break
                row.delete()
                queued += 1
    except DatabaseError:
        logger.warning("deferred tasks not re-driven: the database is unavailable", exc_info=True)
    if queued:
        logger.warning("re-drove %d deferred task(s) to the broker", queued)
    return queued


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
