"""Helpers for the REST API tests: clients with tokens, customers, the error body, a clean cache."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from accounts import services as accounts
from accounts.models import User
from catalog.cache import forget_kept_pages
from core.api import throttle_leases
from core.api.throttle_leases import leases
from core.cache import uses_redis

PASSWORD = "plum-tomato-basket-9"


def clear_cache() -> None:
    """Drop this run's cache keys (catalog pages and generation, rate-limit counters) and nobody
    else's: django-redis applies the run's CACHE_KEY_PREFIX to the pattern."""
    if uses_redis():
        cache.delete_pattern("*")  # type: ignore[attr-defined]
    else:
        cache.clear()
    forget_kept_pages()  # the copies this process kept of the catalog pages just dropped
    leases.forget()  # and the rate-limit leases counted in the counters just dropped


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def with_user_rate(settings: Any, rate: str) -> None:
    """The signed-in callers' rate limit set to `rate` for this test (pytest-django's settings)."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def pinned_clock() -> Callable[[], float]:
    """A clock stopped at this moment: rate-limit windows that never turn during the test."""
    stopped_at = time.time()
    return lambda: stopped_at


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a rate-limit lease goes to Redis. The process's leases
    get a pinned clock: a window turning mid-test would cost one more, honest, round trip."""
    monkeypatch.setattr(throttle_leases.leases, "_clock", pinned_clock())
    trips: list[int] = []
    to_redis = throttle_leases._lease_in_redis

    def counted_lease(keys: list[str], args: list[Any]) -> list[Any]:
        trips.append(1)
        return to_redis(keys, args)

    monkeypatch.setattr(throttle_leases, "_lease_in_redis", counted_lease)
    return trips


def api(**defaults: Any) -> APIClient:
    """A client that answers errors as responses (a 500 stays a 500, never an exception)."""
    client = APIClient(raise_request_exception=False, **defaults)
    return client


def make_customer(email: str = "ann@example.com", password: str = PASSWORD, **extra: Any) -> User:
    with transaction.atomic():
        return accounts.register_customer(email=email, password=password, **extra)


def token_for(user: User) -> str:
    return accounts.issue_token(user, name="tests").key


def signed_in(user: User) -> APIClient:
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def error_of(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an error in the API's one body shape, with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["code"], str) and body["code"].replace("_", "").isalpha() and body["code"].islower()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values())
    if code is not None:
        assert body["code"] == code, body
    return body
