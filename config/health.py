"""Probes for Kubernetes: liveness (`/healthz`) and readiness (`/readyz`)."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.cache import redis_client, uses_redis
from core.outages import degraded_states
from core.roles import current_role, required_checks
from events.dispatch import UNDELIVERED_AFTER_SECONDS
from events.kafka import check_broker, kafka_configured
from events.selectors import outbox_backlog

KAFKA_PROBE_TIMEOUT_SECONDS = 2.0


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests; touches no dependency on purpose, so a database
    outage does not make Kubernetes restart every web pod."""
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _check_cache() -> dict[str, Any]:
    if uses_redis():
        redis_client().ping()
        return {"backend": "redis"}
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("the cache did not return what was just stored")
    return {"backend": "local-memory"}


def _check_kafka() -> dict[str, Any]:
    return check_broker(timeout_seconds=KAFKA_PROBE_TIMEOUT_SECONDS)


def _check_events_without_kafka() -> dict[str, Any]:
    """Without Kafka there is no broker to ask; say how events leave this process instead. Events
    still pending some seconds after their commit were not delivered by the in-process dispatch
    (a database failure, a chain cut short): informational like the relay's lag, since the next
    commit or `manage.py relay_events` delivers them, not a restart."""
    if not settings.EVENTS_IN_PROCESS_DISPATCH:
        return {
            "delivery": "none",
            "detail": "neither KAFKA_BOOTSTRAP_SERVERS nor EVENTS_IN_PROCESS_DISPATCH: events stay in the outbox",
        }
    detail: dict[str, Any] = {"delivery": "in-process", "detail": "after each commit, to this process's consumers"}
    try:
        stale = outbox_backlog(older_than=timedelta(seconds=UNDELIVERED_AFTER_SECONDS))
    except DatabaseError:
        return {**detail, "undelivered": None}  # unknown; the database check names the failure
    detail.update(undelivered=stale["pending"], oldest_undelivered_age_seconds=stale["oldest_pending_age_seconds"])
    if stale["pending"]:
        detail["remedy"] = "delivered with the next commit that records an event, or by manage.py relay_events"
    return detail


def _checks() -> dict[str, Callable[[], dict[str, Any]]]:
    """What this process depends on: the embedded run has no Redis or Kafka to check, so it names
    what stands in for them (the in-process cache and event dispatch)."""
    found = {"database": _check_database, ("redis" if uses_redis() else "cache"): _check_cache}
    if kafka_configured():
        found["kafka"] = _check_kafka
    else:
        found["events"] = _check_events_without_kafka
    return found


def _outbox_details() -> dict[str, Any]:
    """How far the relay (or the in-process dispatch) is behind. Informational: a backlog does not
    make a web pod unready, since restarting web pods cannot publish events; alerting on lag
    belongs to monitoring."""
    try:
        return dict(outbox_backlog())
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in _checks().items():
        started = time.perf_counter()
        try:
            detail = {"ok": True, **check()}
        except Exception as exc:  # a probe reports every failure, whatever raised it
            detail = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        detail["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = detail
    return all(item["ok"] for item in results.values()), results


def readiness(role: str | None = None) -> tuple[int, dict[str, Any]]:
    """The probe's answer for a process of `role` (core/roles.py): unavailable only when a
    dependency the role requires fails; any other failure is named under `degraded`."""
    return verdict(role or current_role(), run_checks()[1])


def verdict(role: str, checks: dict[str, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    failing = [name for name, detail in checks.items() if not detail["ok"]]
    required = required_checks(role)
    failed = [name for name in failing if name in required]
    degraded = [name for name in failing if name not in required]
    body = {
        "status": "unavailable" if failed else "degraded" if degraded else "ready",
        "role": role,
        "failed": failed,
        "degraded": degraded,
        "checks": checks,
        "outbox": _outbox_details() if checks["database"]["ok"] else None,
        # What this process has seen fail and not yet recover, with when it started (core/outages.py).
        "outages": degraded_states(),
    }
    return (503 if failed else 200), body


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the dependencies this process needs answer (for the web, the
    database and Redis; Kafka being down only degrades it, since the outbox keeps the events).
    The body names every failing dependency, so an operator reading the probe sees the cause."""
    status, body = readiness()
    return JsonResponse(body, status=status)
