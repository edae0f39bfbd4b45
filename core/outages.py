"""Riding out a dependency that is down or slow: what a process knows about its outages.

- `Outage`: one per dependency a loop depends on (the relay's database, a consumer's Kafka). A
  failure starts the outage and logs it once; the first success after it ends it and logs its
  length. Retries in between log nothing, so a five-minute outage is two lines, not three hundred.
- `degraded_states()`: the outages this process sees now, with when each started; the admin
  home and `/readyz` show them.
- `redis_call(what, call, default)`: the one fail-soft wrapper for Redis calls that are an
  optimisation (cache, rate counters): an error is a miss, logged once per outage and counted;
  for REDIS_BREAKER_SECONDS after a failure the call is not even tried, so a dead or slow Redis
  costs a request nothing instead of a socket timeout each time.
- `unavailable_dependency(exc)`: whether an exception means "a dependency is away", and which; the
  API and the error pages answer 503 with a stable code and `Retry-After` for those.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django_redis.exceptions import ConnectionInterrupted
from prometheus_client import Counter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("core.outages")

T = TypeVar("T")

DEPENDENCY_FAILURES = Counter(
    "commerce_dependency_failures_total",
    "Calls to a dependency that failed and were degraded (a cache miss, a fail-open limit, a retry).",
    ["dependency", "what"],
)

REDIS_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionInterrupted,
    OSError,
)


def _database_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


@dataclass(frozen=True)
class Unavailable:
    """How an outage answers a request: 503, a stable code, a message, when to come back."""

    dependency: str
    code: str
    message: str
    retry_after: int


DATABASE_UNAVAILABLE = Unavailable(
    "database",
    "database_unavailable",
    "The database is briefly unavailable; try again shortly (with the same Idempotency-Key, if you sent one).",
    5,
)
REDIS_UNAVAILABLE = Unavailable(
    "redis", "cache_unavailable", "A backing service is briefly unavailable; try again shortly.", 5
)


def unavailable_dependency(exc: BaseException | None) -> Unavailable | None:
    """The outage `exc` stands for (following its causes), or None for any other error."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _database_errors()):
            outage("database").failed(exc)
            return DATABASE_UNAVAILABLE
        if isinstance(exc, REDIS_ERRORS[:3]):
            outage("redis").failed(exc)
            return REDIS_UNAVAILABLE
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


class Outage:
    """The state of one dependency as this process sees it; thread-safe."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.since: float | None = None  # monotonic
        self.started_at: datetime | None = None
        self.last_failure: float = 0.0
        self.error = ""
        self.failures = 0
        self._guard = threading.Lock()

    def failed(self, exc: BaseException | str, *, what: str = "call") -> bool:
        """Record a failure; True when it starts an outage (logged here, once)."""
        DEPENDENCY_FAILURES.labels(self.name, what).inc()
        with self._guard:
            self.last_failure = time.monotonic()
            self.failures += 1
            self.error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}".strip()[:300]
            if self.since is not None:
                return False
            started = datetime.now(UTC)
            self.since, self.started_at = self.last_failure, started
        logger.warning("%s unavailable since %s: %s", self.name, started.isoformat(), self.error)
        return True

    def succeeded(self) -> float | None:
        """Record a success; the length of the outage it ends (logged here, once), else None."""
        if self.since is None:  # the hot path: no lock, no work
            return None
        with self._guard:
            if self.since is None:
                return None
            length, failures = time.monotonic() - self.since, self.failures
            self.since, self.started_at, self.failures = None, None, 0
        logger.warning("%s back after an outage of %.1fs (%d failed calls)", self.name, length, failures)
        return length

    @property
    def down(self) -> bool:
        return self.since is not None

    def recently_failed(self, seconds: float) -> bool:
        return self.since is not None and time.monotonic() - self.last_failure < seconds

    def describe(self) -> dict[str, object]:
        started = self.started_at
        return {
            "dependency": self.name,
            "since": started.isoformat() if started else None,
            "seconds": round(time.monotonic() - self.since, 1) if self.since is not None else 0.0,
            "error": self.error,
        }


_outages: dict[str, Outage] = {}
_outages_guard = threading.Lock()


def outage(name: str) -> Outage:
    found = _outages.get(name)
    if found is None:
        with _outages_guard:
            found = _outages.setdefault(name, Outage(name))
    return found


def degraded_states() -> list[dict[str, object]]:
    """The dependencies this process currently sees as unavailable, oldest first: for the admin
    home and /readyz. Each: dependency, since (ISO time), seconds, error."""
    return sorted((o.describe() for o in list(_outages.values()) if o.down), key=lambda d: str(d["since"]))


def redis_call(what: str, call: Callable[[], T], default: T) -> T:
    """`call()`, or `default` when Redis fails or failed within REDIS_BREAKER_SECONDS (the
    breaker: no new attempt, so no request waits on a dead Redis). For optional uses only."""
    state = outage("redis")
    if state.recently_failed(settings.REDIS_BREAKER_SECONDS):
        DEPENDENCY_FAILURES.labels("redis", what).inc()
        return default
    try:
        result = call()
    except REDIS_ERRORS as exc:
        state.failed(exc, what=what)
        return default
    state.succeeded()
    return result
