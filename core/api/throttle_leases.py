"""The REST API's sliding-window rate limits (core/api/throttling.py), counted a share at a time for
servers that answer many calls per process (the gRPC server): a process takes a *lease* of several
calls from the caller's counter in one round trip and spends it locally (docs/decisions/0093).

A lease is counted in Redis when it is taken, so the callers' budgets are never exceeded, whichever
process or API serves them: a lease is granted only up to the room left in the window, and what a
process has not spent when the window turns is simply not given back. The cost is that a caller can
be refused a little early, by at most the unspent leases of the other processes: a lease is small
(`lease_size`), one call under limits of up to 64 a window, so small limits stay exact.
"""

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.settings import api_settings

from core.api.throttling import SlidingWindowThrottle, _evalsha_on_own_connection, parse_rate
from core.cache import redis_client, thread_cache
from core.outages import redis_call

# KEYS: current window, previous window, then keys whose raw values are read along (as the sliding
# window's script). ARGV: weight of the previous window, limit, key ttl, largest lease. Returns the
# calls granted (0: refused), the two counts, then the values of the extra keys.
_LEASE = """
local extra = {}
for i = 3, #KEYS do extra[#extra + 1] = redis.call('GET', KEYS[i]) end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local room = math.floor(tonumber(ARGV[2]) - previous * tonumber(ARGV[1]) - current)
if room < 1 then
  return {0, current, previous, unpack(extra)}
end
local granted = math.min(room, tonumber(ARGV[4]))
current = redis.call('INCRBY', KEYS[1], granted)
if current == granted then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {granted, current, previous, unpack(extra)}
"""
_LEASE_SHA = hashlib.sha1(_LEASE.encode(), usedforsecurity=False).hexdigest()
_script: Any = None

LARGEST_LEASE = 64
# Leases held at once before those of past windows are dropped (dropping one only refuses early).
MOST_HELD = 10_000


def lease_size(limit: int) -> int:
    """A 64th of the limit, at least one call and at most LARGEST_LEASE."""
    return max(1, min(LARGEST_LEASE, limit // 64))


class Refused(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait


class Leases:
    """This process's unspent leases, per scope, caller, window and rate."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._held: dict[tuple[str, str, int, int, int], int] = {}
        self._guard = threading.Lock()
        # Which window a call falls in; the tests pin it, so that a window turning mid-test does
        # not count as a round trip the code did not owe.
        self._clock = clock

    def allow(
        self, scope: str, ident: str, read_along: Callable[[], Sequence[str]] = tuple
    ) -> list[bytes | None] | None:
        """Counts one call of `ident` under `scope`'s rate; raises Refused (with the seconds to
        wait) when the budget is spent. Returns the raw values of `read_along()`'s keys when the
        call went to Redis for a lease (they come back in its round trip), else None."""
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if not rate:
            return None
        limit, window = parse_rate(str(rate))
        now = self._clock()
        slot = int(now // window)
        held_key = (scope, ident, slot, limit, window)
        with self._guard:
            left = self._held.get(held_key, 0)
            if left > 0:
                self._held[held_key] = left - 1
                return None
        elapsed = now - slot * window
        weight = 1.0 - elapsed / window
        make_key = thread_cache().make_key
        base = f"throttle:{scope}:{ident}"
        keys = [make_key(f"{base}:{slot}"), make_key(f"{base}:{slot - 1}"), *read_along()]
        args = [f"{weight:.6f}", limit, window * 2, lease_size(limit)]
        reply = redis_call("throttle", lambda: _lease_in_redis(keys, args), None)
        if reply is None:  # Redis is away: let the call through, as the sliding window does
            return None
        granted, current, previous, *values = reply
        if not granted:
            raise Refused(SlidingWindowThrottle._time_until_allowed(limit, window, elapsed, current, previous))
        if granted > 1:
            with self._guard:
                if len(self._held) >= MOST_HELD:
                    self._forget_before(slot)
                self._held[held_key] = self._held.get(held_key, 0) + int(granted) - 1
        return values

    def _forget_before(self, slot: int) -> None:
        for key in [key for key in self._held if key[2] < slot]:
            del self._held[key]
        if len(self._held) >= MOST_HELD:
            self._held.clear()

    def forget(self) -> None:
        """Drops every unspent lease (tests that empty the counters in Redis between them)."""
        with self._guard:
            self._held.clear()


def _lease_in_redis(keys: list[str], args: list[Any]) -> list[Any]:
    global _script
    reply = _evalsha_on_own_connection(keys, args, _LEASE_SHA)
    if reply is None:
        client = redis_client()
        if _script is None:
            _script = client.register_script(_LEASE)
        reply = _script(keys=keys, args=args, client=client)
    return list(reply)


leases = Leases()
