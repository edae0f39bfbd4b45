"""The catalog's response cache: listing and detail bodies in Redis for a few minutes, dropped
the moment a catalog change commits.

Entries are tagged with a catalog *generation* kept in the cache. Every catalog write bumps it with
`transaction.on_commit` (so only a committed change invalidates, and it does so before the write
returns); an entry built under an older generation is never served again, and is replaced by the
next request or ages out on its TTL. No key scanning, no per-object bookkeeping, one round trip
to Redis per request; none for a page a gRPC server process holds, whose generation it watches
(`watched_hit`, docs/decisions/0093). A missing generation (evicted, Redis flushed) restarts from
the clock, never from a number an earlier generation used. A cache that does not answer is bypassed, not an error.
"""

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.cache import redis_client, thread_cache, uses_redis
from core.key_watch import WatchedKey, confirm_pushed
from core.outages import redis_call

logger = logging.getLogger(__name__)

GENERATION_KEY = "catalog:generation"


def _fresh_generation() -> int:
    return time.time_ns() // 1000


def current_generation() -> int | None:
    """The generation to read and write entries under; None when the cache is unreachable."""
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
            generation = cache.get(GENERATION_KEY)
        return int(generation) if generation is not None else None
    except Exception:
        logger.warning("catalog cache unavailable; serving from the database", exc_info=True)
        return None


def bump_generation() -> None:
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # missing: start from the clock, above any number used before
            cache.set(GENERATION_KEY, _fresh_generation(), timeout=None)
        if uses_redis():  # the processes watching the generation have its invalidation before we go on
            confirm_pushed(redis_client())
    except Exception:
        # The change is committed; entries of the old generation can live until their TTL.
        logger.exception(
            "could not invalidate the catalog cache; cached pages may lag by up to %ss", settings.CATALOG_CACHE_SECONDS
        )


def invalidate_on_commit() -> None:
    """Call inside the transaction of every catalog write."""
    transaction.on_commit(bump_generation)


def _key(name: str, parts: list[str]) -> str:
    return f"catalog:{name}:{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:32]}"


def read_along_keys(name: str, parts: list[str]) -> list[str]:
    """The raw Redis keys `cached_body` reads, for a caller that fetches them in a round trip it
    makes anyway (the rate limit's); empty without Redis or with the cache off. Only the
    generation's when this process holds the page already (`_pages`): the page itself is then not
    sent again, and the generation read along says whether it is still current."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or not uses_redis():
        return []
    generation_key, key = _raw_keys(thread_cache(), name, tuple(parts))  # thread_cache: one look-up
    return [generation_key] if _pages.get(key) is not None else [generation_key, key]


@functools.lru_cache(maxsize=4096)
def _raw_keys(backend: Any, name: str, parts: tuple[str, ...]) -> tuple[str, str]:
    """The raw Redis keys of the generation and of the entry for (name, parts), as `backend` names
    them. Remembered (per backend, so a test's new CACHES gets its own): the hash and the key
    function cost a tenth of a hit's CPU, twice a hit."""
    return backend.make_key(GENERATION_KEY), backend.make_key(_key(name, list(parts)))


def watched_hit(name: str, parts: list[str]) -> bytes | None:
    """The page this process holds for (name, parts) if it was built under the current generation
    as this process's watch of the generation knows it (core.key_watch): no round trip to Redis.
    None when the watch cannot vouch for the generation or the page is not held: the caller then
    reads Redis as usual (`cached_body(..., keep=True)` keeps the page for the next call)."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or not uses_redis():
        return None
    backend = thread_cache()
    generation_key, key = _raw_keys(backend, name, tuple(parts))
    raw = _generation_watch(generation_key).current()
    if raw is None:
        return None
    return _pages.current(key, backend.client.decode(raw))  # type: ignore[attr-defined]


_watch: tuple[Any, WatchedKey] | None = None
_watch_guard = threading.Lock()


def _generation_watch(generation_key: str) -> WatchedKey:
    """This process's watch of the generation, made again when the cache's server or prefix
    changes (new CACHES). One for all worker threads, whose cache backends are their own."""
    global _watch
    where = (settings.CACHES["default"].get("LOCATION"), generation_key)
    held = _watch
    if held is not None and held[0] == where:
        return held[1]
    with _watch_guard:
        if _watch is None or _watch[0] != where:
            if _watch is not None:
                _watch[1].close()
            pool = redis_client().connection_pool
            connect = functools.partial(pool.connection_class, **{**pool.connection_kwargs, "protocol": 3})
            _watch = (where, WatchedKey(generation_key, connect))
        return _watch[1]


def cached_hit(name: str, parts: list[str], read_along: list[bytes | None]) -> bytes | None:
    """The body cached for (name, parts), from the raw values of `read_along_keys`, if it was
    built under the current generation; None for anything else (no entry, an older one, no
    generation, a page this process no longer holds): `cached_body` then takes the request the
    usual way."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or not read_along or read_along[0] is None or len(read_along) > 2:
        return None
    backend = thread_cache()
    decode = backend.client.decode  # type: ignore[attr-defined]
    generation, key = decode(read_along[0]), _raw_keys(backend, name, tuple(parts))[1]
    if len(read_along) == 1:  # the generation only: the page is the one this process holds, if current
        return _pages.current(key, generation)
    entry = decode(read_along[1]) if read_along[1] is not None else None
    if isinstance(entry, tuple) and entry[0] == generation:
        _pages.keep(key, entry)
        return bytes(entry[1])
    return None


def cached_body(
    name: str,
    parts: list[str],
    build: Callable[[], bytes],
    read_along: list[bytes | None] | None = None,
    *,
    keep: bool = False,
) -> tuple[bytes, bool]:
    """The cached body for (name, parts) if it was built under the current generation, else
    `build()`, stored; returns (body, hit). CATALOG_CACHE_SECONDS=0 turns the cache off.

    An entry carries the generation it was built under and the generation is read with it in one
    MGET, so a hit costs one round trip to Redis; none of its own when the raw values of
    `read_along_keys` were fetched already (`read_along`). An entry of an older generation is a
    miss, and is replaced. When only the generation was read along (the process held the page)
    and the page it held is out of date, the entry is read from Redis once more. The page is kept
    in this process (`_pages`) when its generation was read along or when `keep` (a caller that
    asks `watched_hit` first)."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return build(), False
    key = _key(name, parts)
    found: dict[str, Any] | None
    if read_along:  # the raw values, fetched with the rate limit's round trip
        hit = cached_hit(name, parts, read_along)
        if hit is not None:
            return hit, True
        decode = cache.client.decode  # type: ignore[attr-defined]
        found = {GENERATION_KEY: decode(read_along[0])} if read_along[0] is not None else {}
        if len(read_along) > 1:
            if read_along[1] is not None:
                found[key] = decode(read_along[1])
        else:  # only the generation was read along, and the page this process held is out of date
            entry = redis_call("catalog_cache", lambda: cache.get(key), None)
            if entry is not None:
                found[key] = entry
    else:
        found = redis_call("catalog_cache", lambda: dict(cache.get_many([GENERATION_KEY, key])), None)
    if found is None:  # Redis away (logged once per outage, counted): served from the database
        return build(), False
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = current_generation()
        if generation is None:
            return build(), False
    entry = found.get(key)
    if isinstance(entry, tuple) and entry[0] == generation:
        if read_along or keep:
            _pages.keep(cache.make_key(key), entry)
        return bytes(entry[1]), True
    body = build()
    # Tagged with the generation read *before* the database was: if a change committed in between,
    # the tag is already old and the entry is never served. With the time it expires, so that a
    # copy kept by a process (`_pages`) does not outlive it.
    entry = (generation, body, time.time() + settings.CATALOG_CACHE_SECONDS)
    try:
        cache.set(key, entry, timeout=settings.CATALOG_CACHE_SECONDS)
    except Exception:
        logger.warning("catalog cache write failed", exc_info=True)
    else:
        if read_along or keep:
            _pages.keep(cache.make_key(key), entry)
    return body, False


class _ProcessPages:
    """The cached pages this process served lately, by raw Redis key, each with the generation it
    was built under and the time its Redis entry expires (docs/decisions/0086).

    A hit then reads only the generation along with the rate limit, not the page: the page is a
    dozen kilobytes that Redis copies into its Lua script and out again, and the worker reads and
    unpickles, on every request (about 20 us of Redis's CPU and 10 us of the worker's a hit, and
    half its round trip's time). The generation is still read from Redis on every request, in the
    same round trip, so a committed change is never served stale (the copy's generation is then
    old: the page is read from Redis again, or built); a copy is dropped when its Redis entry
    would have expired, so it never lives longer than the entry would. Entries written without an
    expiry (an older release) are served and not kept. Bounded: the least recently kept go first.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: dict[str, tuple[Any, bytes, float]] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> tuple[Any, bytes, float] | None:
        page = self._pages.get(key)
        return page if page is not None and page[2] > time.time() else None

    def current(self, key: str, generation: Any) -> bytes | None:
        page = self.get(key)
        return page[1] if page is not None and page[0] == generation else None

    def keep(self, key: str, entry: tuple[Any, ...]) -> None:
        if len(entry) < 3 or not isinstance(entry[2], float):
            return
        # Never longer than this process could have kept a page it read just now (clocks differ).
        expires = min(entry[2], time.time() + settings.CATALOG_CACHE_SECONDS)
        with self._guard:
            self._pages.pop(key, None)
            while len(self._pages) >= self.size:
                self._pages.pop(next(iter(self._pages)))
            self._pages[key] = (entry[0], bytes(entry[1]), expires)

    def clear(self) -> None:
        with self._guard:
            self._pages.clear()


# A page is a few to a few dozen kilobytes: at most a few megabytes a process.
_pages = _ProcessPages(256)


def forget_kept_pages() -> None:
    """Drops the pages this process kept (tests that empty the cache between them)."""
    _pages.clear()
