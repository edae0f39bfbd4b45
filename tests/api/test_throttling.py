"""Rate limits in Redis: per IP for anonymous callers, per user (across IPs) for signed-in ones,
a 429 with Retry-After when exceeded."""

import threading
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from core.api.throttling import SlidingWindowThrottle
from core.cache import redis_client, thread_connection
from core.outages import outage
from tests.api.support import api, error_of, make_customer, signed_in, token_for

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"


@pytest.fixture
def tight(settings: Any) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "5/min", "user": "8/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_anonymous_callers_are_limited_per_ip(tight: None) -> None:
    for _ in range(5):
        assert api(REMOTE_ADDR="10.0.0.1").get(PRODUCTS).status_code == 200
    limited = api(REMOTE_ADDR="10.0.0.1").get(PRODUCTS)
    error_of(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 120
    assert api(REMOTE_ADDR="10.0.0.2").get(PRODUCTS).status_code == 200  # another IP has its own budget


def test_signed_in_callers_are_limited_per_user_whatever_their_ip(tight: None) -> None:
    ann, bob = make_customer("ann@example.com"), make_customer("bob@example.com")
    token = token_for(ann)
    for n in range(8):
        client = api(REMOTE_ADDR=f"10.0.1.{n}")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get("/api/v1/me/").status_code == 200
    error_of(signed_in(ann).get("/api/v1/me/"), 429, "rate_limited")
    assert signed_in(bob).get("/api/v1/me/").status_code == 200
    # Ann's requests did not use up the anonymous budget of the IPs she came from.
    assert api(REMOTE_ADDR="10.0.1.0").get(PRODUCTS).status_code == 200


def test_refused_requests_do_not_count() -> None:
    """While limited, hammering does not push the caller's window further out."""

    class Probe(SlidingWindowThrottle):
        scope = "probe"

        def identity(self, request: Any) -> str:
            return "probe"

        def get_rate(self) -> tuple[int, int]:
            return 3, 3600

    probe = Probe()
    results = [probe.allow_request(None, None) for _ in range(10)]  # type: ignore[arg-type]
    assert results == [True] * 3 + [False] * 7
    slot = int(time.time() // 3600)
    counted = [cache.get(f"throttle:probe:probe:{n}") or 0 for n in (slot, slot - 1)]
    assert sum(counted) == 3  # the seven refused calls were not counted


@pytest.mark.parametrize(
    "limit, window, elapsed, current, previous",
    [
        (10, 60, 30.0, 10, 0),
        (10, 60, 5.0, 3, 12),
        (3, 60, 59.0, 3, 3),
        (100, 3600, 10.0, 0, 100),
    ],
)
def test_retry_after_is_when_the_caller_is_really_allowed_again(
    limit: int, window: int, elapsed: float, current: int, previous: int
) -> None:
    wait = SlidingWindowThrottle._time_until_allowed(limit, window, elapsed, current, previous)

    def allowed_at(t: float) -> bool:
        moment = elapsed + t
        if moment < window:
            return previous * (1 - moment / window) + current + 1 <= limit
        return current * (1 - (moment - window) / window) + 1 <= limit

    assert allowed_at(wait + 0.001)
    assert wait < 0.01 or not allowed_at(max(0.0, wait - 1))


class YieldingLocMemCache(LocMemCache):
    """The in-process cache, handing the CPU to another thread after each read: what a busy dev
    server does now and then, here every time."""

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = super().get(key, default, version)
        time.sleep(0.001)
        return value


def test_without_redis_threads_of_one_process_are_counted_each(settings: Any) -> None:
    """The embedded run counts in its in-process cache; the dev server's threads must not count
    two requests as one (a lost update lets more through than the limit)."""

    class Probe(SlidingWindowThrottle):
        scope = "probe"

        def identity(self, request: Any) -> str:
            return "threads"

        def get_rate(self) -> tuple[int, int]:
            return 25, 3600

    settings.CACHES = {"default": {"BACKEND": f"{__name__}.YieldingLocMemCache", "LOCATION": "throttling-threads"}}
    barrier = threading.Barrier(10)
    allowed: list[bool] = []

    def client() -> None:
        barrier.wait()
        allowed.extend(Probe().allow_request(None, None) for _ in range(5))  # type: ignore[arg-type]

    threads = [threading.Thread(target=client) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 25


def test_a_redis_connection_closed_by_the_server_is_reopened_without_losing_a_count(tight: None) -> None:
    """The rate limit talks to Redis on a connection of the thread's own (core.cache): one the
    server dropped while idle (a restart, a timeout, CLIENT KILL) is reopened before the next
    request is counted, which is neither let through uncounted nor reported as an outage."""
    client = api(REMOTE_ADDR="10.0.9.1")
    assert client.get(PRODUCTS).status_code == 200
    own = thread_connection()
    own.send_command("CLIENT", "ID")
    redis_client().client_kill_filter(_id=own.read_response())

    for _ in range(4):
        assert client.get(PRODUCTS).status_code == 200
    error_of(client.get(PRODUCTS), 429, "rate_limited")  # all five counted: the sixth is refused
    assert not outage("redis").down
