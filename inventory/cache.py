"""The public availability figures, cached in the default cache for a few seconds.

Each figure is stored with the *generation* of its key as the reader found it before reading the
database, and is served only while that generation is still current. Every stock change drops the
generations of the items it touched when its transaction commits (one DEL, awaited before the
writer returns). A reader that read the database before such a commit, and stores its figure only
after the drop, stores it under a generation that is gone, so it is never served: without the
generations that figure would have stayed until its TTL (the fill race). A missing generation
restarts from the clock, never from a number an earlier one used.

What the cache cannot see is a reservation expiring (nothing commits then): the figure is then too
low for at most INVENTORY_AVAILABILITY_CACHE_SECONDS, which never oversells, since reserving always
checks the row itself. A cache that does not answer is bypassed, not an error.
"""

import functools
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from redis.exceptions import ResponseError

from core.cache import redis_client, thread_cache, thread_connection, uses_redis
from core.outages import redis_call

logger = logging.getLogger(__name__)

PREFIX = "inventory:availability"
ALL_WAREHOUSES = "*"
# A generation outlives the figures stored under it (its loss only costs a miss); a day bounds the
# keys of items nobody changes or reads any more.
GENERATION_SECONDS = 24 * 3600


def key(variant_id: int, warehouse_code: str | None) -> str:
    """Where the figure of a variant (at a warehouse, or at all of them) is stored."""
    return f"{PREFIX}:figure:{variant_id}:{warehouse_code or ALL_WAREHOUSES}"


def generation_key(variant_id: int, warehouse_code: str | None) -> str:
    """Where that figure's generation is kept: what a stock change drops."""
    return f"{PREFIX}:generation:{variant_id}:{warehouse_code or ALL_WAREHOUSES}"


def cached(variant_id: int, warehouse_code: str | None, build: Callable[[], Any]) -> tuple[Any, bool]:
    """The cached value, or build() stored for INVENTORY_AVAILABILITY_CACHE_SECONDS; (value, hit).
    A hit is one round trip (the figure and its generation in one MGET)."""
    name, generation_name = key(variant_id, warehouse_code), generation_key(variant_id, warehouse_code)
    found = redis_call("availability_cache", lambda: cache.get_many([name, generation_name]), None)
    if found is None:  # a cache outage must not take the shop's availability down
        return build(), False
    generation, entry = found.get(generation_name), found.get(name)
    if generation is not None and isinstance(entry, tuple) and entry[0] == generation:
        return entry[1], True
    if generation is None:  # dropped by a change, or never read: taken before the database is read
        generation = _start_generation(generation_name)
    value = build()
    if generation is not None:
        try:
            cache.set(name, (generation, value), settings.INVENTORY_AVAILABILITY_CACHE_SECONDS)
        except Exception:
            logger.warning("inventory: availability cache unwritable", exc_info=True)
    return value, False


def _start_generation(generation_name: str) -> int | None:
    """A new generation for this key, or the one a concurrent reader started first; None if the
    cache is unwritable. On Redis one SET NX GET (Redis 7): it answers the generation already
    there, or nothing when it stored ours, so the miss after every change pays one round trip for
    it, not an ADD and a GET."""
    fresh = time.time_ns() // 1000
    try:
        if not uses_redis():
            cache.add(generation_name, fresh, GENERATION_SECONDS)
            generation: int | None = cache.get(generation_name)
            return generation
        raw_name = thread_cache().make_key(generation_name)  # django-redis stores an int as its digits
        earlier = redis_client().set(raw_name, fresh, nx=True, get=True, ex=GENERATION_SECONDS)
        return fresh if earlier is None else int(earlier)
    except Exception:
        logger.warning("inventory: availability cache unwritable", exc_info=True)
        return None


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
    """The generations of these (variant id, warehouse code) pairs' figures and of their variants'
    all-warehouse figures, in one order (one packed DEL)."""
    pairs = {(variant, place) for variant, code in items for place in (code, None)}
    return tuple(sorted(generation_key(variant, place) for variant, place in pairs))


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
