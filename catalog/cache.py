"""The catalog's response cache: listing and detail bodies in Redis for a few minutes, dropped
the moment a catalog change commits.

Entries are tagged with a catalog *generation* kept in the cache. Every catalog write bumps it with
`transaction.on_commit` (so only a committed change invalidates, and it does so before the write
returns); an entry built under an older generation is never served again, and is replaced by the
next request or ages out on its TTL. No key scanning, no per-object bookkeeping, one round trip
to Redis per request. A missing generation (evicted, Redis flushed) restarts from the clock, never from a
number an earlier generation used. A cache that does not answer is bypassed, not an error.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.cache import thread_cache, uses_redis
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
    makes anyway (the rate limit's); empty without Redis or with the cache off."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or not uses_redis():
        return []
    backend = thread_cache()  # not `cache`: the backend is looked up once, not per attribute
    return [backend.make_key(GENERATION_KEY), backend.make_key(_key(name, parts))]


def cached_hit(name: str, parts: list[str], read_along: list[bytes | None]) -> bytes | None:
    """The body cached for (name, parts), from the raw values of `read_along_keys`, if it was
    built under the current generation; None for anything else (no entry, an older one, no
    generation): `cached_body` then takes the request the usual way."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or len(read_along) != 2 or None in read_along:
        return None
    decode = thread_cache().client.decode  # type: ignore[attr-defined]
    generation, entry = decode(read_along[0]), decode(read_along[1])
    if isinstance(entry, tuple) and entry[0] == generation:
        return bytes(entry[1])
    return None


def cached_body(
    name: str, parts: list[str], build: Callable[[], bytes], read_along: list[bytes | None] | None = None
) -> tuple[bytes, bool]:
    """The cached body for (name, parts) if it was built under the current generation, else
    `build()`, stored; returns (body, hit). CATALOG_CACHE_SECONDS=0 turns the cache off.

    An entry carries the generation it was built under and the generation is read with it in one
    MGET, so a hit costs one round trip to Redis; none of its own when the raw values of
    `read_along_keys` were fetched already (`read_along`). An entry of an older generation is a
    miss, and is replaced."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return build(), False
    key = _key(name, parts)
    found: dict[str, Any] | None
    if read_along is not None:  # the raw values, fetched with the rate limit's round trip
        decode = cache.client.decode  # type: ignore[attr-defined]
        found = {k: decode(v) for k, v in zip((GENERATION_KEY, key), read_along, strict=True) if v is not None}
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
        return bytes(entry[1]), True
    body = build()
    try:
        # Tagged with the generation read *before* the database was: if a change committed in
        # between, the tag is already old and the entry is never served.
        cache.set(key, (generation, body), timeout=settings.CATALOG_CACHE_SECONDS)
    except Exception:
        logger.warning("catalog cache write failed", exc_info=True)
    return body, False
