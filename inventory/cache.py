"""The public availability figures, cached in the default cache for a few seconds.

Every stock change drops the keys of the items it touched when its transaction commits, so the
cache only ever serves a figure until the next change. What it cannot see is a reservation expiring
(nothing commits then): the figure is then too low for at most INVENTORY_AVAILABILITY_CACHE_SECONDS,
which never oversells, since reserving always checks the row itself. A cache that does not answer
is bypassed, not an error.
"""

import functools
import logging
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from redis.exceptions import ResponseError

from core.cache import thread_cache, thread_connection, uses_redis
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
            backend = thread_cache()
            _redis_delete(backend, _packed_delete(backend, names))
        else:
            cache.delete_many(names)
    except Exception:
        logger.warning("inventory: availability cache keys not dropped; they expire on their own", exc_info=True)


@functools.lru_cache(maxsize=4096)
def _packed_delete(backend: Any, names: tuple[str, ...]) -> bytes:
    """The DEL of these names as sent to Redis, built once per item (and per cache backend, whose
    key prefix and version make the keys): packing it on every write cost more than sending it."""
    command = thread_connection(backend, check_idle=False).pack_command(
        "DEL", *(backend.make_key(name) for name in names)
    )
    return b"".join(command)


def _redis_delete(backend: Any, command: bytes) -> None:
    """One DEL on this thread's own Redis connection (core.cache.thread_connection), its reply
    awaited, so the keys are gone before the writer returns. Every stock write pays this after its
    commit; through the cache API (django-redis, then redis-py's pool) it cost four times the
    command itself, and through redis-py's connection six system calls where three do
    (`_send_and_read`). A connection the server closed while idle shows as a closed socket when
    the DEL is sent or its reply read: the DEL (idempotent) is sent once more on a fresh
    connection, instead of looking at the socket before every DEL (a system call each time)."""
    for attempt in (1, 2):
        conn = thread_connection(backend, check_idle=False)
        try:
            if conn._sock is None:
                conn.connect()
            _send_and_read(conn._sock, command)
            return
        except ConnectionError:  # the builtin one: reset, broken pipe, or closed (below)
            conn.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            conn.disconnect()  # a reply may be half read: the next call starts on a fresh connection
            raise


def _send_and_read(sock: socket.socket, command: bytes) -> None:
    """Send the packed command and read its one-line integer reply (a DEL's), on the socket itself.
    The socket has the connection's timeout, so Python polls it before each send and receive; a
    small command goes straight to the descriptor instead (it is non-blocking, and an idle
    connection's send buffer takes it whole), and only the receive waits."""
    sent = 0
    if type(sock) is socket.socket:  # not TLS, whose bytes only its socket object may write
        try:
            sent = os.write(sock.fileno(), command)
        except BlockingIOError:
            sent = 0
    if sent < len(command):
        sock.sendall(command[sent:])
    reply = sock.recv(64)
    while not reply.endswith(b"\r\n"):
        more = sock.recv(64)
        if not more:
            raise ConnectionError("Redis closed the connection")
        reply += more
    if not reply.startswith(b":"):
        raise ResponseError(reply.decode(errors="replace").strip())


@functools.lru_cache(maxsize=4096)
def _names(items: frozenset[tuple[int, str]]) -> tuple[str, ...]:
    """The keys of these (variant id, warehouse code) pairs' figures, in one order (one packed DEL)."""
    return tuple(sorted({name for variant, code in items for name in (key(variant, code), key(variant, None))}))


def invalidate_on_commit(items: Iterable[tuple[int, str]], db: BaseDatabaseWrapper | None = None) -> None:
    """Drop the figures of these (variant id, warehouse code) pairs once the change commits (`db`:
    the default database's connection, when the caller has it: each lookup costs a few µs)."""
    names = _names(frozenset(items))
    if not names:
        return
    if (transaction.get_connection() if db is None else db).in_atomic_block:
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
