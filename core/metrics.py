"""The suite's Prometheus metrics, in one place, so that an adapter counts a business event in one
line and operators find every series here.

Under gunicorn and the Celery prefork pool the processes write their samples to files in
`PROMETHEUS_MULTIPROC_DIR` (set by deploy/entrypoint.sh, wiped at start), and `/metrics` adds them
up (prometheus-client's multiprocess mode; gunicorn's `child_exit` and Celery's
`worker_process_shutdown` mark dead children). Without that variable each process keeps its own.

Gauges that describe shared state (the outbox backlog) are read when scraped, through collectors
registered with `register_scrape_collector` by config.
"""

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

from core.errors import DomainError

HTTP_REQUESTS = Counter(
    "commerce_http_requests_total",
    "HTTP requests answered, by resolved route (URL name).",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "commerce_http_request_duration_seconds",
    "Time to answer an HTTP request, by resolved route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ORDERS_PLACED = Counter("commerce_orders_placed_total", "Orders placed (committed).", ["currency"])
DOMAIN_REFUSALS = Counter(
    "commerce_domain_refusals_total",
    "Requests a business rule refused, by error code and interface.",
    ["code", "interface"],
)
RESERVATIONS_REFUSED = Counter(
    "commerce_reservations_refused_total",
    "Stock reservations refused (out of stock), by interface.",
    ["interface"],
)
SLOT_HOLDS_REFUSED = Counter(
    "commerce_slot_holds_refused_total",
    "Delivery slot holds or bookings refused, by reason.",
    ["reason"],
)
PAYMENT_OUTCOMES = Counter(
    "commerce_payment_outcomes_total",
    "Payment steps settled by the gateway, by gateway and outcome.",
    ["gateway", "outcome"],
)
RELAY_PUBLISHED = Counter("commerce_relay_published_total", "Outbox events the relay published to Kafka.")
RELAY_FAILURES = Counter("commerce_relay_failures_total", "Relay batches that failed and were retried.")
CONSUMER_EVENTS = Counter(
    "commerce_consumer_events_total",
    "Events a consumer group handled, by outcome.",
    ["group", "outcome"],
)
CONSUMER_LAG = Gauge(
    "commerce_consumer_lag_messages",
    "Messages behind the end of the partition, per group and partition.",
    ["group", "topic", "partition"],
    multiprocess_mode="max",
)
DEAD_LETTERS = Counter("commerce_dead_letters_total", "Events set aside as dead letters.", ["group", "code"])
CELERY_TASKS = Counter(
    "commerce_celery_tasks_total",
    "Celery tasks finished, by queue, task and outcome.",
    ["queue", "task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "commerce_celery_task_duration_seconds",
    "Celery task run time, by queue and task.",
    ["queue", "task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)

# The refusal codes that mean "a reservation of stock was refused" or "a slot took no new place".
RESERVATION_REFUSAL_CODES = frozenset({"out_of_stock"})
SLOT_HOLD_REFUSAL_CODES = frozenset({"slot_full", "slot_closed", "slot_past_cutoff", "hold_expired"})


def count_refusal(error: DomainError, interface: str) -> None:
    """One line in each adapter that turns a DomainError into an answer (REST, gRPC)."""
    DOMAIN_REFUSALS.labels(error.code, interface).inc()
    if error.code in RESERVATION_REFUSAL_CODES:
        RESERVATIONS_REFUSED.labels(interface).inc()
    elif error.code in SLOT_HOLD_REFUSAL_CODES:
        SLOT_HOLDS_REFUSED.labels(error.code).inc()


class _Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_scrape_collectors: list[_Collector] = []


def register_scrape_collector(collector: _Collector) -> None:
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


class _Exposition:
    def __init__(self, base: Any) -> None:
        self.base = base

    def collect(self) -> Iterator[Metric]:
        yield from self.base.collect()
        for collector in _scrape_collectors:
            yield from collector.collect()


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def render_metrics() -> tuple[bytes, str]:
    """The exposition of this process (or, in multiprocess mode, of every process of the pod)."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        base: Any = registry
    else:
        base = REGISTRY
    return generate_latest(_Exposition(base)), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)


def observe_consumer_lag(group: str, kafka: Any) -> None:
    """After a poll: how far each assigned partition is behind its end (the fetcher's high
    watermark, so no extra request to the broker)."""
    for partition in kafka.assignment():
        end = kafka.highwater(partition)
        if end is None:
            continue  # nothing fetched from it yet
        lag = max(end - kafka.position(partition), 0)
        CONSUMER_LAG.labels(group, partition.topic, str(partition.partition)).set(lag)


class RequestMetricsMiddleware:
    """Counts and times every request by its resolved route (the URL pattern's name, never the
    raw path, so ids do not explode the series); "unmatched" for paths no view serves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route) if match else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
