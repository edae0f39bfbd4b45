"""core.key_watch: a Redis key's value known in the process, following every change the moment the
writer's change returns, with no round trip between changes, and answering None (the caller asks
Redis itself) whenever it cannot vouch for the value."""

import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from core import key_watch
from core.cache import redis_client
from core.key_watch import WatchedKey, _parse, confirm_pushed


@pytest.fixture
def watched(request: pytest.FixtureRequest) -> Iterator[tuple[WatchedKey, Any]]:
    client = redis_client()
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:key-watch-test:{request.node.name}"
    client.set(key, 1)
    pool = client.connection_pool
    watch = WatchedKey(key, lambda: pool.connection_class(**{**pool.connection_kwargs, "protocol": 3}))
    yield watch, client
    watch.close()
    client.delete(key)


def test_every_change_is_seen_by_the_first_read_after_the_writer_returns(watched: tuple[WatchedKey, Any]) -> None:
    watch, client = watched
    assert watch.current() == b"1"
    for expected in range(2, 102):
        client.incr(watch.key)
        confirm_pushed(client)
        assert watch.current() == str(expected).encode()
    client.delete(watch.key)
    confirm_pushed(client)
    assert watch.current() is None  # missing: the caller reads (and sets) it the usual way
    client.set(watch.key, 7)
    confirm_pushed(client)
    assert watch.current() == b"7"


def test_reads_between_changes_make_no_round_trip(
    watched: tuple[WatchedKey, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch, client = watched
    assert watch.current() == b"1"
    trips: list[bytes] = []
    round_trip = WatchedKey._round_trip

    def counted_round_trip(self: WatchedKey, command: bytes) -> Any:
        trips.append(command)
        return round_trip(self, command)

    monkeypatch.setattr(WatchedKey, "_round_trip", counted_round_trip)
    # The once-a-second PING is a round trip this test does not count: a paused CI machine could
    # take a second over these reads.
    monkeypatch.setattr(key_watch, "CONFIRM_EVERY_SECONDS", 3600.0)
    assert {watch.current() for _ in range(1_000)} == {b"1"}
    assert trips == []
    client.incr(watch.key)
    confirm_pushed(client)
    assert watch.current() == b"2"
    assert len(trips) == 1 and b"GET" in trips[0]  # the change is read once


def test_a_lost_connection_answers_none_until_it_is_made_again(
    watched: tuple[WatchedKey, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch, client = watched
    monkeypatch.setattr(key_watch, "RETRY_AFTER_SECONDS", 3600.0)  # no retry until the test says
    assert watch.current() == b"1"
    host, port = watch._sock.getsockname()[:2]  # type: ignore[union-attr]
    client.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")
    client.incr(watch.key)  # while nobody watches
    assert watch.current() is None
    assert watch.current() is None  # not retried before RETRY_AFTER_SECONDS
    monkeypatch.setattr(key_watch, "RETRY_AFTER_SECONDS", 0.0)
    watch._retry_at = 0.0
    assert watch.current() == b"2"  # a new connection, the value read again


def test_readers_in_many_threads_never_go_back_to_an_older_value(watched: tuple[WatchedKey, Any]) -> None:
    watch, client = watched
    stop = threading.Event()
    seen_backwards: list[tuple[int, int]] = []
    answered = [0]

    def read() -> None:
        last = 0
        while not stop.is_set():
            value = watch.current()
            if value is not None:
                answered[0] += 1
                if int(value) < last:
                    seen_backwards.append((last, int(value)))
                last = int(value)

    readers = [threading.Thread(target=read) for _ in range(4)]
    # Threads switch every 0.1 ms rather than 5: more interleavings, and the writer's replies are
    # not kept waiting behind four spinning readers.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0001)
    for reader in readers:
        reader.start()
    try:
        for expected in range(2, 202):
            client.incr(watch.key)
            confirm_pushed(client)
            value = watch.current()  # None only while a reader holds the watch
            assert value is None or int(value) == expected
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        sys.setswitchinterval(interval)
    assert seen_backwards == [] and answered[0] > 200


PONG = b"+PONG\r\n"
INVALIDATION = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n"


class ScriptedRedis:
    """A watch's connection whose other end answers each command with the next bytes of a
    script, in one write: the order in which a reply and a push reach the watch is the test's,
    not the scheduler's."""

    def __init__(self, answers: list[bytes]) -> None:
        self._sock, self._server = socket.socketpair()
        self._answers = answers
        self.commands: list[list[bytes]] = []
        self._serving = threading.Thread(target=self._serve, daemon=True)

    def connect(self) -> None:
        self._serving.start()

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        pass  # CLIENT TRACKING: taken as accepted

    def read_response(self) -> bytes:
        return b"OK"

    def disconnect(self) -> None:
        self._sock.close()
        self._server.close()

    def _serve(self) -> None:
        received = bytearray()
        for answer in self._answers:
            while (command := _parse(received, 0)) is None:
                chunk = self._server.recv(65536)
                if not chunk:
                    return
                received += chunk
            del received[: command[2]]
            self.commands.append(command[1])
            self._server.sendall(answer)


@pytest.fixture
def ping_every_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PING before every read: the script then does not depend on how long the test takes."""
    monkeypatch.setattr(key_watch, "CONFIRM_EVERY_SECONDS", 0.0)


@pytest.mark.usefixtures("ping_every_read")
def test_an_invalidation_right_behind_the_reply_leaves_the_value_unknown() -> None:
    redis = ScriptedRedis([PONG, b"$1\r\n5\r\n" + INVALIDATION, PONG, b"$1\r\n6\r\n", PONG])
    watch = WatchedKey("key", lambda: redis)
    try:
        assert watch.current() is None  # 5 was read before the change the push announces
        assert watch.current() == b"6"  # so it is read again
        assert watch.current() == b"6"
        assert [command[0] for command in redis.commands] == [b"PING", b"GET", b"PING", b"GET", b"PING"]
    finally:
        watch.close()


@pytest.mark.usefixtures("ping_every_read")
def test_an_invalidation_ahead_of_the_reply_is_older_than_the_value() -> None:
    redis = ScriptedRedis([PONG, INVALIDATION + b"$1\r\n5\r\n", PONG])
    watch = WatchedKey("key", lambda: redis)
    try:
        assert watch.current() == b"5"
        assert watch.current() == b"5"  # not read again
        assert [command[0] for command in redis.commands] == [b"PING", b"GET", b"PING"]
    finally:
        watch.close()
