"""The public availability figures, cached in the default cache for a few seconds.

Every stock change drops the keys of the items it touched when its transaction commits, so the
cache only ever serves a figure until the next change. What it cannot see is a reservation expiring
(nothing commits then): the figure is then too low for at most INVENTORY_AVAILABILITY_CACHE_SECONDS,
which never oversells, since reserving always checks the row itself. A cache that does not answer
is bypassed, not an error.
"""

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import transaction

from core.cache import redis_client, uses_redis
from core.outages import redis_call

logger = logging.getLogger(__name__)

PREFIX = "inventory:availability"
ALL_WAREHOUSES = "*"
_MISSING = object()


def key(variant_id: int, warehouse_code: str | None) -> str:
    return f"{PREFIX}:{variant_id}:{warehouse_code or ALL_WAREHOUSES}"


def cached(variant_id: int, warehouse_code: str | None, build: Callable[[], Any]) -> tuple[Any, bool]:
    """The cached value, or build() stored for INVENTORY_AVAILABILITY_CACHE_SECONDS; (value, hit)."""
    name = key(variant_id, warehouse_code)
    value = redis_call("availability_cache", lambda: cache.get(name, _MISSING), None)
    if value is None:  # a cache outage must not take the shop's availability down
        return build(), False
    if value is not _MISSING:
        return value, True
    value = build()
    try:
        cache.set(name, value, settings.INVENTORY_AVAILABILITY_CACHE_SECONDS)
    except Exception:
        logger.warning("inventory: availability cache unwritable", exc_info=True)
    return value, False


def _delete(names: list[str]) -> None:
    try:
        if uses_redis():
            backend = caches[DEFAULT_CACHE_ALIAS]  # once: each `cache.x` goes through a proxy
            _redis_delete(backend, [backend.make_key(name) for name in names])
        else:
            cache.delete_many(names)
    except Exception:
        logger.warning("inventory: availability cache keys not dropped; they expire on their own", exc_info=True)


_own = threading.local()


def _redis_delete(backend: Any, keys: list[str]) -> None:
    """One DEL on a Redis connection of this thread's own, made like the cache's (same server,
    database and timeouts). Every stock write pays this after its commit, and through the cache
    API (django-redis, then redis-py's pool with its bookkeeping) it cost four times the command
    itself; the reply is still awaited, so the keys are gone before the writer returns."""
    conn = getattr(_own, "conn", None)
    # Never a connection inherited across fork, nor one of a cache backend replaced since (new
    # CACHES settings, e.g. a test pointing the cache at a proxy, build a new backend).
    if conn is None or _own.pid != os.getpid() or _own.backend is not backend:
        if conn is not None:
            conn.disconnect()
        pool = redis_client().connection_pool
        conn = pool.connection_class(**pool.connection_kwargs)
        _own.conn, _own.pid, _own.backend = conn, os.getpid(), backend
    try:
        conn.send_command("DEL", *keys, check_health=False)
        conn.read_response()
    except BaseException:
        conn.disconnect()  # a reply may be half read: the next call starts on a fresh connection
        _own.conn = None
        raise


def invalidate_on_commit(items: Iterable[tuple[int, str]]) -> None:
    """Drop the figures of these (variant id, warehouse code) pairs once the change commits."""
    names = sorted({name for variant_id, code in items for name in (key(variant_id, code), key(variant_id, None))})
    if names:
        transaction.on_commit(lambda: _delete(names))


def invalidate_everything() -> None:
    """After a bulk change (a stock import): drop every availability figure."""
    if uses_redis():
        try:
            cache.delete_pattern(f"{PREFIX}:*")  # type: ignore[attr-defined]  # django-redis
        except Exception:
            logger.warning("inventory: availability cache not cleared; figures expire on their own", exc_info=True)
