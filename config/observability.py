"""Wiring of the operational parts: the `/metrics` view, the gauges read at scrape time, the
business counters fed from domain signals and Celery's signals, and the per-process start-up
that must follow a fork (gunicorn's post_fork, Celery's worker_process_init)."""

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from celery import signals as celery_signals
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

import core.metrics as m
from core.probes import serve_probes
from core.roles import BEAT, WORKER, claim_role

logger = logging.getLogger(__name__)
_initialised: set[str] = set()


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape of this pod (every gunicorn worker, in multiprocess mode). Serve it on
    the pod network only: the ingress should not route /metrics."""
    payload, content_type = m.render_metrics()
    return HttpResponse(payload, content_type=content_type)


class OutboxCollector:
    """The relay's backlog, read from the database when scraped (one indexed aggregate)."""

    def collect(self) -> Iterator[Metric]:
        from events.selectors import outbox_backlog

        try:
            backlog = outbox_backlog()
        except Exception:  # a scrape during a database outage still answers the other series
            logger.debug("outbox backlog unavailable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "commerce_outbox_pending_events", "Outbox events not yet published.", value=backlog["pending"]
        )
        yield GaugeMetricFamily(
            "commerce_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox event (the relay's lag).",
            value=backlog["oldest_pending_age_seconds"],
        )


def _count_order_placed(sender: Any, *, payload: Any, **kwargs: Any) -> None:
    currency = payload.total.currency or "unknown"
    transaction.on_commit(lambda: m.ORDERS_PLACED.labels(currency).inc())


def _payment_outcome(outcome: str) -> Any:
    def receiver(sender: Any, *, payload: Any, **kwargs: Any) -> None:
        gateway = getattr(payload, "gateway", "") or "unknown"
        transaction.on_commit(lambda: m.PAYMENT_OUTCOMES.labels(gateway, outcome).inc())

    return receiver


_PAYMENT_RECEIVERS = {name: _payment_outcome(name) for name in ("authorized", "completed", "failed", "refunded")}


def connect() -> None:
    """Called once from ConfigAppConfig.ready(): business counters from the domain signals
    (counted when their transaction commits), Celery task outcomes, the scrape-time gauges."""
    from orders import signals as order_signals
    from payments import signals as payment_signals

    order_signals.order_created.connect(_count_order_placed, dispatch_uid="metrics:order.created")
    for outcome, receiver in _PAYMENT_RECEIVERS.items():
        getattr(payment_signals, f"payment_{outcome}").connect(receiver, dispatch_uid=f"metrics:payment.{outcome}")
    m.register_scrape_collector(OutboxCollector())


# --- Celery -------------------------------------------------------------------------------------
_task_started: dict[str, float] = {}


def _queue_of(task: Any) -> str:
    info = getattr(task.request, "delivery_info", None) or {}
    return str(info.get("routing_key") or info.get("exchange") or "celery")


@celery_signals.task_prerun.connect
def _task_prerun(task_id: str, task: Any, **kwargs: Any) -> None:
    _task_started[task_id] = time.perf_counter()


@celery_signals.task_postrun.connect
def _task_postrun(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started = _task_started.pop(task_id, None)
    queue = _queue_of(task)
    m.CELERY_TASKS.labels(queue, task.name, (state or "unknown").lower()).inc()
    if started is not None:
        m.CELERY_TASK_DURATION.labels(queue, task.name).observe(time.perf_counter() - started)


@celery_signals.worker_process_init.connect
def _worker_child_started(**kwargs: Any) -> None:
    init_process(WORKER)


@celery_signals.worker_process_shutdown.connect
def _worker_child_stopped(pid: int | None = None, **kwargs: Any) -> None:
    m.mark_process_dead(pid or os.getpid())


@celery_signals.worker_ready.connect
def _worker_ready(**kwargs: Any) -> None:
    serve_probes(claim_role(WORKER))  # /healthz, /readyz, /metrics of the worker on PROBE_PORT


@celery_signals.beat_init.connect
def _beat_started(**kwargs: Any) -> None:
    serve_probes(claim_role(BEAT))
    init_process(BEAT)


def init_process(role: str) -> None:
    """What each process starts after it was forked (or at start, if it never forks)."""
    if role in _initialised:
        return
    _initialised.add(role)
    from core.tracing import init_tracing

    init_tracing(role)
