"""A named lock held across processes, kept in Redis.

Use it for work that must not run twice at once across workers (a report build, a sweep), never
as a substitute for database constraints or conditional updates on money and stock. While Redis
is away the lock is a PostgreSQL advisory lock of the same name instead.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from redis.exceptions import LockNotOwnedError

from core.cache import redis_client, uses_redis
from core.outages import REDIS_ERRORS, outage

logger = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


class LockNotAcquired(Exception):
    """Another holder has the lock and it did not come free within the wait."""

    code = "lock_not_acquired"

    def __init__(self, name: str) -> None:
        super().__init__(f"The lock {name!r} is held by someone else")
        self.name = name


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"lock:{name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def _advisory_lock(name: str, wait: float) -> Iterator[None]:
    """A session-level pg advisory lock keyed by the name's hash; it goes with the connection,
    so a crashed holder never keeps it (no ttl needed)."""
    key = _advisory_key(name)
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise LockNotAcquired(name)
            time.sleep(0.05)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def distributed_lock(name: str, *, ttl: float = 60.0, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock `name` for the duration of the block.

    `ttl` bounds how long a crashed holder can keep others out; `wait` is how long to wait for a
    busy lock before raising LockNotAcquired (0: do not wait). Releasing uses the holder's token,
    so a holder whose lock expired can never release a lock that someone else took since.
    """
    if not uses_redis():
        # The embedded run is one process, so a process-local lock is the same guarantee.
        with _local_locks_guard:
            local = _local_locks.setdefault(name, threading.Lock())
        acquired = local.acquire(timeout=wait) if wait > 0 else local.acquire(blocking=False)
        if not acquired:
            raise LockNotAcquired(name)
        try:
            yield
        finally:
            local.release()
        return

    lock = redis_client().lock(
        f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:lock:{name}",
        timeout=ttl,
        blocking_timeout=wait if wait > 0 else None,
        thread_local=False,
    )
    try:
        acquired = lock.acquire(blocking=wait > 0)
    except REDIS_ERRORS as exc:
        # Redis is away: the same lock as a PostgreSQL advisory lock (docs/decisions/0060); if the
        # database is away too, its error answers 503 (core/api/exceptions.py).
        outage("redis").failed(exc, what="lock")
        with _advisory_lock(name, wait):
            yield
        return
    if not acquired:
        raise LockNotAcquired(name)
    try:
        yield
    finally:
        try:
            lock.release()
        except LockNotOwnedError:
            logger.warning("lock %s expired before its holder finished (ttl=%ss)", name, ttl)
        except REDIS_ERRORS:
            logger.warning("lock %s: Redis unavailable at release; the lock expires after %ss", name, ttl)
