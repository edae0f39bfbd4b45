"""core.cache.thread_cache: the default cache backend, looked up once per thread where backends
are kept per thread (the gRPC server), and exactly `caches["default"]` whatever the storage."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.local import Local
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.test import override_settings

from core.cache import thread_cache


@pytest.fixture
def per_thread_backends() -> Iterator[None]:
    """What config.grpc_server.keep_caches_per_thread does, undone afterwards."""
    saved = caches._connections, getattr(caches, "thread_critical", False)  # type: ignore[attr-defined]
    caches.thread_critical = True
    caches._connections = Local(thread_critical=True)  # type: ignore[attr-defined]
    yield
    caches._connections, caches.thread_critical = saved  # type: ignore[attr-defined]


def test_it_is_the_default_backend_under_django_s_own_storage() -> None:
    assert thread_cache() is caches[DEFAULT_CACHE_ALIAS]


def test_each_thread_keeps_its_own_backend(per_thread_backends: None) -> None:
    mine = thread_cache()
    assert mine is caches[DEFAULT_CACHE_ALIAS] and thread_cache() is mine
    theirs: list[Any] = []
    thread = threading.Thread(target=lambda: theirs.extend([thread_cache(), caches[DEFAULT_CACHE_ALIAS]]))
    thread.start()
    thread.join()
    assert theirs[0] is theirs[1] and theirs[0] is not mine


def test_new_cache_settings_give_a_new_backend(per_thread_backends: None) -> None:
    before = thread_cache()
    other = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "thread-cache-test"}}
    with override_settings(CACHES=other):  # Django replaces the storage: the kept backend is dropped
        during = thread_cache()
        assert during is not before and during is caches[DEFAULT_CACHE_ALIAS]
        assert type(during).__name__ == "LocMemCache"
    assert thread_cache() is caches[DEFAULT_CACHE_ALIAS]
