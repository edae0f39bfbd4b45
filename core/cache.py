"""Access to the Redis server behind the default cache, for what the cache API cannot say."""

import os
import select
import threading
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches


def uses_redis() -> bool:
    """Whether the default cache is Redis (False on the embedded in-process cache)."""
    return str(settings.CACHES["default"]["BACKEND"]).startswith("django_redis.")


def redis_client() -> Any:
    """The raw redis-py client of the default cache (only when `uses_redis()`)."""
    from django_redis import get_redis_connection

    return get_redis_connection("default")


_own = threading.local()


def thread_connection() -> Any:
    """A redis-py connection of this thread's own to the default cache's server, made like the
    client's pool makes them (same server, database, timeouts and protocol), for the one-command
    calls every request makes (the rate limit, the availability drop): through the client and its
    pool, the pool's bookkeeping (a lock, and three system calls to see that a pooled connection
    has no stray data) cost more CPU than sending the command and reading its reply.

    Made again after a fork and when the default cache's backend was replaced (new CACHES, e.g. a
    test pointing the cache at a proxy); one the server closed while idle (readable before anything
    was sent) is reopened before use. A caller that fails mid-command must `disconnect()` it."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    conn = getattr(_own, "conn", None)
    if conn is None or _own.pid != os.getpid() or _own.backend is not backend:
        if conn is not None and _own.pid == os.getpid():
            conn.disconnect()
        pool = redis_client().connection_pool
        conn = pool.connection_class(**pool.connection_kwargs)
        _own.conn, _own.pid, _own.backend = conn, os.getpid(), backend
    elif conn._sock is not None and select.select([conn._sock], [], [], 0)[0]:
        conn.disconnect()  # closed by the server (or a reply nobody read): the next send reconnects
    return conn
