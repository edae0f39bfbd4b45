"""Access to the Redis server behind the default cache, for what the cache API cannot say."""

import os
import select
import threading
from asyncio import _get_running_loop
from typing import Any

from asgiref.local import Local
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches


class _ThreadBackend(threading.local):
    connections: Any = None  # the `caches._connections` the backend was taken from
    backend: BaseCache | None = None


_thread_backend = _ThreadBackend()
_THREAD_CRITICAL = type(Local(thread_critical=True))


def thread_cache() -> BaseCache:
    """The default cache backend, as `django.core.cache.cache` gives it, without resolving it again
    on every use where backends are kept per thread (the gRPC server's worker threads:
    `config.grpc_server.keep_caches_per_thread`). Each `cache.<attribute>` goes through the proxy
    and asgiref's Local (a few µs); a cached GetProduct made half a dozen such lookups
    (docs/decisions/0085). Kept until `caches` gets new storage (a CACHES change replaces it);
    where backends are bound to a context rather than a thread (Django's default, or a thread
    running an event loop) it is resolved each time, as `cache` does."""
    connections = caches._connections  # type: ignore[attr-defined]
    state = _thread_backend
    if type(connections) is _THREAD_CRITICAL and _get_running_loop() is None:
        if state.connections is not connections or state.backend is None:
            state.connections, state.backend = connections, caches[DEFAULT_CACHE_ALIAS]
        return state.backend
    return caches[DEFAULT_CACHE_ALIAS]


def uses_redis() -> bool:
    """Whether the default cache is Redis (False on the embedded in-process cache)."""
    return str(settings.CACHES["default"]["BACKEND"]).startswith("django_redis.")


def redis_client() -> Any:
    """The raw redis-py client of the default cache (only when `uses_redis()`)."""
    from django_redis import get_redis_connection

    return get_redis_connection("default")


_own = threading.local()


def thread_connection(backend: BaseCache | None = None, *, check_idle: bool = True) -> Any:
    """A redis-py connection of this thread's own to the default cache's server, made like the
    client's pool makes them (same server, database, timeouts and protocol), for the one-command
    calls every request makes (the rate limit, the availability drop): through the client and its
    pool, the pool's bookkeeping (a lock, and three system calls to see that a pooled connection
    has no stray data) cost more CPU than sending the command and reading its reply.

    Made again after a fork and when the default cache's backend was replaced (new CACHES, e.g. a
    test pointing the cache at a proxy); one the server closed while idle (readable before anything
    was sent) is reopened before use. A caller that fails mid-command must `disconnect()` it.

    `backend`: the default cache's backend when the caller has it already (`thread_cache()`).
    `check_idle` off skips that look (a system call) for a caller that sends an idempotent command
    and sends it again on a fresh connection when the first one turns out closed."""
    if backend is None:
        backend = thread_cache()
    conn = getattr(_own, "conn", None)
    if conn is None or _own.pid != os.getpid() or _own.backend is not backend:
        if conn is not None and _own.pid == os.getpid():
            conn.disconnect()
        pool = redis_client().connection_pool
        conn = pool.connection_class(**pool.connection_kwargs)
        _own.conn, _own.pid, _own.backend = conn, os.getpid(), backend
    elif check_idle and conn._sock is not None and select.select([conn._sock], [], [], 0)[0]:
        conn.disconnect()  # closed by the server (or a reply nobody read): the next send reconnects
    return conn
