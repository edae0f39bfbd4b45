"""The broker's Redis transport (core/broker.py) publishes through one Redis client per channel
and connection pool, instead of kombu's new client per message, and still delivers."""

from collections.abc import Iterator
from typing import Any

import pytest
from celery import current_app

from core.broker import Transport
from core.queue import queue_lengths

QUEUE = "test-core-broker"


@pytest.fixture
def channel() -> Iterator[Any]:
    assert current_app.conf.broker_url.startswith("redis"), "the tests run against the real Redis broker"
    with current_app.connection_for_write() as connection:
        assert isinstance(connection.transport, Transport)
        yield connection.default_channel


def test_a_channel_reuses_one_client_until_its_pool_is_replaced(channel: Any) -> None:
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second and first.connection_pool is channel.pool
    given = object()
    with channel.conn_or_acquire(given) as client:
        assert client is given
    channel._pool = None  # kombu drops its pool on a lost connection and makes another
    with channel.conn_or_acquire() as third:
        assert third is not first and third.connection_pool is channel.pool


def test_messages_published_through_the_shared_client_arrive(channel: Any) -> None:
    channel._purge(QUEUE)
    for n in range(3):
        channel._put(QUEUE, {"body": str(n), "properties": {}})
    assert queue_lengths([QUEUE]) == {QUEUE: 3}
    assert channel._purge(QUEUE) == 3
