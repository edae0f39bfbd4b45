"""The Redis lock keeps a critical section to one holder across threads and processes; without
Redis (the embedded run, one process) an in-process lock does it across threads."""

import threading
import time
import uuid
from typing import Any

import pytest

from core.cache import uses_redis
from core.locks import LockNotAcquired, distributed_lock


def unique_name() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_locks_live_in_redis() -> None:
    assert uses_redis()


def test_a_held_lock_refuses_a_second_holder_until_released() -> None:
    name = unique_name()
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with distributed_lock(name, ttl=10):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(5)
    with pytest.raises(LockNotAcquired) as refused, distributed_lock(name):
        pass
    assert refused.value.code == "lock_not_acquired"

    release.set()
    thread.join()
    with distributed_lock(name):
        pass  # free again once the first holder left


def test_a_waiting_caller_gets_the_lock_when_it_comes_free() -> None:
    name = unique_name()
    order: list[str] = []

    def holder() -> None:
        with distributed_lock(name, ttl=10):
            order.append("first in")
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=holder)
    thread.start()
    while not order:
        time.sleep(0.01)
    with distributed_lock(name, wait=5):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def contend(name: str) -> tuple[int, int]:
    """Ten threads take the lock five times each; returns (entries, overlaps)."""
    inside = 0
    overlaps = 0
    entered = 0
    guard = threading.Lock()

    def worker() -> None:
        nonlocal inside, overlaps, entered
        for _ in range(5):
            with distributed_lock(name, ttl=10, wait=10):
                with guard:
                    inside += 1
                    overlaps += inside > 1
                    entered += 1
                time.sleep(0.002)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return entered, overlaps


def test_many_contenders_never_overlap() -> None:
    assert contend(unique_name()) == (50, 0)


def test_without_redis_the_threads_of_the_embedded_process_never_overlap(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not uses_redis()
    assert contend(unique_name()) == (50, 0)
    name = unique_name()
    with distributed_lock(name), pytest.raises(LockNotAcquired), distributed_lock(name):
        pass  # a held lock refuses a second holder here too


def test_an_expired_holder_cannot_release_the_next_holders_lock() -> None:
    name = unique_name()
    with distributed_lock(name, ttl=0.2):
        time.sleep(0.4)  # outlives its ttl; someone else takes the lock meanwhile
        second = distributed_lock(name, ttl=10)
        second.__enter__()
    # The first holder's exit did not free the second holder's lock.
    with pytest.raises(LockNotAcquired), distributed_lock(name):
        pass
    second.__exit__(None, None, None)
    with distributed_lock(name):
        pass
