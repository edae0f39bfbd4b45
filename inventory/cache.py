"""The public availability figures, cached in the default cache for a few seconds.

Every stock change drops the keys of the items it touched when its transaction commits, so the
cache only ever serves a figure until the next change. What it cannot see is a reservation expiring
(nothing commits then): the figure is then too low for at most INVENTORY_AVAILABILITY_CACHE_SECONDS,
which never oversells, since reserving always checks the row itself. A cache that does not answer
is bypassed, not an error.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import transaction

from core.cache import thread_connection, uses_redis
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


def _delete(names: tuple[str, ...]) -> None:
    try:
        if uses_redis():
            _redis_delete(_packed_delete(caches[DEFAULT_CACHE_ALIAS], names))
        else:
            cache.delete_many(names)
    except Exception:
        logger.warning("inventory: availability cache keys not dropped; they expire on their own", exc_info=True)


@functools.lru_cache(maxsize=4096)
def _packed_delete(backend: Any, names: tuple[str, ...]) -> list[bytes]:
    """The DEL of these names as sent to Redis, built once per item (and per cache backend, whose
    key prefix and version make the keys): packing it on every write cost more than sending it."""
    return [b"".join(thread_connection().pack_command("DEL", *(backend.make_key(name) for name in names)))]


def _redis_delete(command: list[bytes]) -> None:
    """One DEL on this thread's own Redis connection (core.cache.thread_connection). Every stock
    write pays this after its commit, and through the cache API (django-redis, then redis-py's
    pool with its bookkeeping) it cost four times the command itself; the reply is still awaited,
    so the keys are gone before the writer returns."""
    conn = thread_connection()
    try:
        conn.send_packed_command(command, check_health=False)
        conn.read_response()
    except BaseException:
        conn.disconnect()  # a reply may be half read: the next call starts on a fresh connection
        raise


@functools.lru_cache(maxsize=4096)
def _names(items: frozenset[tuple[int, str]]) -> tuple[str, ...]:
    """The keys of these (variant id, warehouse code) pairs' figures, in one order (one packed DEL)."""
    return tuple(sorted({name for variant, code in items for name in (key(variant, code), key(variant, None))}))


def invalidate_on_commit(items: Iterable[tuple[int, str]]) -> None:
    """Drop the figures of these (variant id, warehouse code) pairs once the change commits."""
    names = _names(frozenset(items))
    if not names:
        return
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _delete(names))
    else:  # autocommit: the change has committed already (what on_commit would do, minus its machinery)
        _delete(names)


def invalidate_everything() -> None:
    """After a bulk change (a stock import): drop every availability figure."""
    if uses_redis():
        try:
            cache.delete_pattern(f"{PREFIX}:*")  # type: ignore[attr-defined]  # django-redis
        except Exception:
            logger.warning("inventory: availability cache not cleared; figures expire on their own", exc_info=True)
