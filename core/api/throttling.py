"""Rate limits kept in Redis: per IP for anonymous callers, per user for signed-in ones, and
tighter scopes for sign-in and registration.

A sliding window approximated from two fixed windows (the count of the previous window weighted by
how much of it still overlaps, plus the current one), checked and counted in one atomic Lua call:
one round trip per request, memory of two integers per caller, and refused requests do not count.
DRF's own SimpleRateThrottle keeps a list of timestamps per caller and rewrites it on every
request, which grows with the rate and races between workers.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("120/min"), read per request so a
settings override applies at once. A 429 carries Retry-After.
"""

import functools
import hashlib
import math
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis import Redis
from redis.exceptions import ResponseError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.cache import redis_client, thread_cache, thread_connection, uses_redis
from core.outages import redis_call

if TYPE_CHECKING:  # DRF imports the API settings' classes while rest_framework.views loads
    from rest_framework.views import APIView

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}

# KEYS: current window, previous window, then any keys whose values the view reads next (so a
# cached page costs one round trip, rate limit included). ARGV: weight of the previous window,
# limit, key ttl. Returns allowed, the two counts, then the values of the extra keys.
_SLIDING_WINDOW = """
local extra = {}
for i = 3, #KEYS do extra[#extra + 1] = redis.call('GET', KEYS[i]) end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[1]) + current + 1 > tonumber(ARGV[2]) then
  return {0, current, previous, unpack(extra)}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1, current, previous, unpack(extra)}
"""
_script: Any = None  # redis-py's Script, for the calls that go through the client
_SCRIPT_SHA = hashlib.sha1(_SLIDING_WINDOW.encode(), usedforsecurity=False).hexdigest()  # what EVALSHA names


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" -> (120, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


Counted = tuple[bool, int, int]  # allowed, count of the current window, count of the previous one


def _count_in_redis(
    current_key: str, previous_key: str, weight: float, limit: int, window: int, extra: Sequence[str] = ()
) -> tuple[Counted, list[bytes | None]]:
    global _script
    keys, args = [current_key, previous_key, *extra], [f"{weight:.6f}", limit, window * 2]
    reply = _evalsha_on_own_connection(keys, args)
    if reply is None:
        client = redis_client()
        if _script is None:
            _script = client.register_script(_SLIDING_WINDOW)
        reply = _script(keys=keys, args=args, client=client)
    allowed, current, previous, *values = reply
    return (bool(allowed), int(current), int(previous)), values


def _evalsha_on_own_connection(keys: list[str], args: list[Any], sha: str = _SCRIPT_SHA) -> list[Any] | None:
    """EVALSHA on this thread's own Redis connection (core.cache.thread_connection), without the
    client's per-command machinery (connection events, metrics, the retry policy) and the pool's
    bookkeeping: most of the rate limit's CPU per request. None when that does not work out before
    the command is sent (no connection, the script not loaded, the client instrumented for
    tracing): the caller then goes through the client, which reconnects, retries, loads the script
    and records spans as usual. An error after sending is raised, as the client would raise it: the
    request may already be counted."""
    if hasattr(Redis.execute_command, "__wrapped__"):  # instrumented: keep its spans
        return None
    try:
        connection = thread_connection()
    except Exception:
        return None
    sent = False
    try:
        connection.send_command("EVALSHA", sha, len(keys), *keys, *args, check_health=False)
        sent = True
        return cast(list[Any], connection.read_response())
    except ResponseError:  # NOSCRIPT: the reply was read whole; the client loads the script
        return None
    except Exception:
        connection.disconnect()  # a reply may be in flight: the connection is not reused
        if sent:  # the script may have counted the request: running it again would count it twice
            raise
        return None
    except BaseException:
        connection.disconnect()
        raise


_in_process_guard = threading.Lock()


# Where strict scopes count while Redis is away: this process's memory (docs/decisions/0060).
_fallback_counts = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def _count_in_process(
    current_key: str, previous_key: str, weight: float, limit: int, window: int, store: Any = cache
) -> Counted:
    # The embedded run's in-process cache lives in this one process; the guard keeps the dev
    # server's threads from counting two requests as one (what the Lua script does in Redis).
    with _in_process_guard:
        current = int(store.get(current_key, 0))
        previous = int(store.get(previous_key, 0))
        if previous * weight + current + 1 > limit:
            return False, current, previous
        store.set(current_key, current + 1, window * 2)
    return True, current + 1, previous


class SlidingWindowThrottle(BaseThrottle):
    scope: ClassVar[str]
    # Without Redis: False lets the request through (fail open), True counts in this process.
    strict: ClassVar[bool] = False

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_rate(self) -> tuple[int, int] | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return parse_rate(str(rate)) if rate else None

    def identity(self, request: Request) -> str | None:
        """Who is counted; None exempts the request from this throttle."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: "APIView") -> bool:
        rate = self.get_rate()
        ident = self.identity(request)
        if rate is None or ident is None:
            return True
        limit, window = rate
        now = time.time()
        slot = int(now // window)
        elapsed = now - slot * window
        weight = 1.0 - elapsed / window
        base = f"throttle:{self.scope}:{ident}"
        if uses_redis():
            make_key = thread_cache().make_key  # not `cache.make_key`: one lookup of the backend, not two
            keys = (make_key(f"{base}:{slot}"), make_key(f"{base}:{slot - 1}"))
            # Raw Redis keys a view asked to read along (request.read_along): their raw values
            # come back in the same round trip, as request.read_along_values.
            extra = getattr(request, "read_along", ())
            counted = redis_call("throttle", lambda: _count_in_redis(*keys, weight, limit, window, extra), None)
            if counted is None:
                if not self.strict:
                    return True
                allowed, current, previous = _count_in_process(*keys, weight, limit, window, _fallback_counts)
            else:
                (allowed, current, previous), values = counted
                if extra:
                    request.read_along, request.read_along_values = (), values  # type: ignore[attr-defined]
        else:
            allowed, current, previous = _count_in_process(
                f"{base}:{slot}", f"{base}:{slot - 1}", weight, limit, window
            )
        if not allowed:
            self._wait = self._time_until_allowed(limit, window, elapsed, current, previous)
        return allowed

    @staticmethod
    def _time_until_allowed(limit: int, window: int, elapsed: float, current: int, previous: int) -> float:
        if current + 1 > limit:
            # Not before the next window; there the current count becomes the previous one.
            rest = window - elapsed
            return rest + max(0.0, window * (1 - (limit - 1) / current))
        # The previous window's weight must decay: previous * (1 - (elapsed + t) / window) + current + 1 <= limit.
        return max(0.0, window * (1 - (limit - current - 1) / previous) - elapsed) if previous else 1.0

    def wait(self) -> float | None:
        return None if self._wait is None else float(max(1, math.ceil(self._wait)))


def with_default_throttles(*extra: type[BaseThrottle]) -> list[type[BaseThrottle]]:
    """The API-wide throttles plus a view's own scopes."""
    return [*cast(Sequence[type[BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES), *extra]


class AnonIpThrottle(SlidingWindowThrottle):
    """Anonymous requests, per client IP (honouring NUM_PROXIES for X-Forwarded-For)."""

    scope = "anon"

    def identity(self, request: Request) -> str | None:
        return None if request.user and request.user.is_authenticated else self.get_ident(request)


class UserThrottle(SlidingWindowThrottle):
    """Signed-in requests, per user, whichever device or IP they come from."""

    scope = "user"

    def identity(self, request: Request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class ScopedIpThrottle(SlidingWindowThrottle):
    """Every request to the views that use it, per IP, whoever is signed in."""

    def identity(self, request: Request) -> str | None:
        return self.get_ident(request)


class LoginThrottle(ScopedIpThrottle):
    scope = "login"
    strict = True


class RegisterThrottle(ScopedIpThrottle):
    scope = "register"
    strict = True
