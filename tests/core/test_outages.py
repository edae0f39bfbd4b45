"""Riding out Redis in one process, against a Redis port that does not answer (the chaos tests in
tests/resilience cut the real one through Toxiproxy): ordinary calls fail open, sign-in stays
limited, an outage is logged once when it starts and once when it ends, and the locks fall back to
PostgreSQL."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections

from core import outages
from core.locks import _advisory_key, distributed_lock
from tests.api.support import api, error_of

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"
LOGIN = "/api/v1/auth/login/"


@pytest.fixture(autouse=True)
def fresh_outages() -> Iterator[None]:
    outages._outages.clear()
    yield
    outages._outages.clear()


@pytest.fixture
def redis_down(settings: Any) -> None:
    """The cache (and every Redis use behind it) on a port where nothing listens."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min", "login": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_without_redis_browsing_fails_open_and_sign_in_stays_limited(redis_down: None) -> None:
    assert [api(REMOTE_ADDR="10.9.0.1").get(PRODUCTS).status_code for _ in range(5)] == [200] * 5  # no 429, no 500
    answers = [
        api(REMOTE_ADDR="10.9.0.2").post(LOGIN, {"email": "x@example.com", "password": "wrong"}) for _ in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [401] * 3
    error_of(answers[3], 429, "rate_limited")
    assert outages.degraded_states()[0]["dependency"] == "redis"


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    redis_down: None, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.REDIS_BREAKER_SECONDS = 0  # try Redis on every call: each one fails
    for _ in range(5):
        assert outages.redis_call("probe", lambda: cache.get("k"), "miss") == "miss"
    assert outages.redis_call("probe", lambda: "answered", "miss") == "answered"
    lines = [r.getMessage() for r in caplog.records if r.name == "core.outages"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("redis unavailable since ") and lines[1].startswith("redis back after ")
    assert "(5 failed calls)" in lines[1] and outages.degraded_states() == []


def test_the_breaker_spares_calls_to_a_redis_that_just_failed(redis_down: None) -> None:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        return str(cache.get("k"))

    for _ in range(10):
        outages.redis_call("probe", call, "miss")
    assert len(calls) == 1  # the first one found Redis away; the next ones within 2 s skip it


@pytest.mark.django_db(transaction=True)
def test_without_redis_the_named_lock_is_a_postgres_advisory_lock_another_session_cannot_take(
    redis_down: None,
) -> None:
    other = connections.create_connection("default")
    try:
        with distributed_lock("resilience-probe"), other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key("resilience-probe")])
            assert cursor.fetchone()[0] is False  # held by this session's lock
        with other.cursor() as cursor:  # released at the end of the block
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key("resilience-probe")])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
