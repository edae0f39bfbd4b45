"""The Celery broker's Redis transport: kombu's own, with one Redis client per channel.

kombu's Redis channel builds a new `redis.Redis` for every message it publishes (and every
queue-length read): each copies redis-py's response callbacks (some 170 entries), about a quarter
of a millisecond of CPU per queued task on the order path. The client is only a front for the
channel's connection pool, and one client is safe to share, so the channel keeps one per pool
(a pool kombu replaces gets a client of its own). Nothing else changes: the same pool, the same
commands, the same errors. config/settings_parts/queues.py selects it for redis:// and rediss:// brokers.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        shared, pool = self._shared_client, self.pool
        if shared is None or shared.connection_pool is not pool:
            shared = self._shared_client = cast(Any, self)._create_client()  # missing from the stubs
        yield shared


class Transport(kombu_redis.Transport):
    Channel = Channel
