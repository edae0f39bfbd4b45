"""One Redis key's value known in this process without a round trip per read: Redis' client-side
caching (CLIENT TRACKING, broadcast mode, RESP3) pushes an invalidation on a connection of the
watch's own the moment the key changes, and every read first takes whatever that connection has
received, with no wait (docs/decisions/0093).

Only a value read after every invalidation received so far is answered. The writer of the key
confirms its change with one more round trip before it returns (`confirm_pushed`): Redis has then
written the invalidation to this connection's socket, so on one host a read that starts after the
writer returned always sees it. The connection is checked with a PING at least once a second; any
doubt (no connection, an error, a reply out of place, a TLS connection, whose socket cannot be
read without waiting) answers None and the caller reads Redis the usual way.
"""

import contextlib
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

# A connection not heard from for this long is asked (PING) before its value is trusted again.
CONFIRM_EVERY_SECONDS = 1.0
# After a failed connection, how long reads answer None before one tries again.
RETRY_AFTER_SECONDS = 1.0
ROUND_TRIP_TIMEOUT_SECONDS = 0.5

_PING = b"*1\r\n$4\r\nPING\r\n"


class ProtocolError(Exception):
    """A reply this watch did not expect: the connection is dropped."""


class WatchedKey:
    """The raw value of `key` on the server of `connect()` (a redis-py connection factory), as of
    the last invalidation this process received."""

    def __init__(self, key: str, connect: Any) -> None:
        self.key = key
        self._connect = connect
        self._guard = threading.Lock()
        self._sock: socket.socket | None = None
        self._pid = os.getpid()
        self._buffer = bytearray()
        self._known = False
        self._value: bytes | None = None
        self._confirmed_at = 0.0
        self._retry_at = 0.0
        self._connection: Any = None

    def current(self) -> bytes | None:
        """The key's raw value; None when it is missing or when this watch cannot vouch for it
        (the caller then reads Redis itself)."""
        # Not waited for: another thread holds it only to read what arrived (microseconds, rarely
        # contended) or for a round trip (a PING a second, a GET after a change, a reconnection),
        # and a call answered the usual way meanwhile is better than one stalled behind it.
        if not self._guard.acquire(blocking=False):
            return None
        try:
            return self._current()
        except Exception as error:  # any doubt: the caller reads Redis the usual way
            if self._sock is not None:
                logger.warning("the watch of %s lost its connection: %s", self.key, error)
            self._close()
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return None
        finally:
            self._guard.release()

    def _current(self) -> bytes | None:
        now = time.monotonic()
        if self._pid != os.getpid():  # a forked child: the parent's socket is not ours
            self._sock, self._connection, self._pid = None, None, os.getpid()
        if self._sock is None and (now < self._retry_at or not self._open()):
            return None
        self._take_received()
        if now - self._confirmed_at >= CONFIRM_EVERY_SECONDS:
            _, before, after = self._round_trip(_PING)
            self._known = self._known and not (before or after)
            self._confirmed_at = now
        if not self._known:
            # Invalidations that arrive before the GET's reply are older than the value it reads.
            self._value, _, after = self._round_trip(_command("GET", self.key))
            self._known = not after
        return self._value if self._known else None

    def _open(self) -> bool:
        connection = self._connect()
        connection.connect()
        sock = connection._sock
        if sock is None or not isinstance(sock, socket.socket) or hasattr(sock, "context"):  # TLS: see above
            connection.disconnect()
            self._retry_at = float("inf")
            return False
        connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.key, check_health=False)
        if connection.read_response() not in (b"OK", "OK"):
            raise ProtocolError("CLIENT TRACKING was refused")
        sock.settimeout(None)  # blocking: a MSG_DONTWAIT read returns at once (with a timeout it would wait)
        self._connection, self._sock = connection, sock
        self._buffer.clear()
        self._known, self._value, self._confirmed_at = False, None, 0.0
        return True

    def _take_received(self) -> None:
        """Whatever has arrived, without waiting: any invalidation makes the value unknown."""
        assert self._sock is not None
        while True:
            chunk = _receive_now(self._sock)
            if chunk is None:
                break
            if not chunk:
                raise ConnectionResetError("the watch's connection was closed")
            self._buffer += chunk
        for kind, _ in self._whole_messages():
            if kind != ">":
                raise ProtocolError(f"a reply nobody asked for ({kind!r})")
            self._known = False

    def _whole_messages(self) -> Iterator[tuple[str, Any]]:
        """The messages the buffer holds whole, each taken out of it as it is yielded."""
        while self._buffer:
            parsed = _parse(self._buffer, 0)
            if parsed is None:
                return
            kind, value, end = parsed
            del self._buffer[:end]
            yield kind, value

    def _round_trip(self, command: bytes) -> tuple[Any, int, int]:
        """Sends `command` and waits for its reply: (reply, invalidations received before it,
        invalidations received after it). Those before were sent before the command ran; those
        after, after it."""
        assert self._sock is not None
        self._take_received()
        self._sock.sendall(command)
        deadline = time.monotonic() + ROUND_TRIP_TIMEOUT_SECONDS
        reply: Any = _NOTHING
        before = after = 0
        while True:
            for kind, value in self._whole_messages():
                if kind == ">":
                    if reply is _NOTHING:
                        before += 1
                    else:
                        after += 1
                elif reply is _NOTHING:
                    if kind == "-":
                        raise ProtocolError(value)
                    reply = value
                else:
                    raise ProtocolError(f"a second reply ({kind!r})")
            if reply is not _NOTHING:  # a newer invalidation still arriving is taken by the next read
                return reply, before, after
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._sock], [], [], left)[0]:
                raise TimeoutError("Redis did not answer the watch in time")
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the watch's connection was closed")
            self._buffer += chunk

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection: nothing more to do
                self._connection.disconnect()
        self._connection, self._sock = None, None
        self._buffer.clear()
        self._known, self._value = False, None

    def close(self) -> None:
        with self._guard:
            self._close()


_NOTHING = object()


def _receive_now(sock: socket.socket) -> bytes | None:
    """What `sock` (blocking) has received, without waiting: None when nothing, b"" when it was
    closed."""
    try:
        return sock.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None


def _command(*words: str) -> bytes:
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _parse(buffer: bytearray, start: int) -> tuple[str, Any, int] | None:
    """One RESP3 message at `start`: (type, value, end), None when it has not all arrived."""
    line_end = buffer.find(b"\r\n", start)
    if line_end < 0:
        return None
    kind, head = chr(buffer[start]), bytes(buffer[start + 1 : line_end])
    after = line_end + 2
    if kind in "+-:#,(":
        return kind, head.decode(errors="replace"), after
    if kind == "_":
        return kind, None, after
    if kind in "$!=":
        size = int(head)
        if size < 0:
            return kind, None, after
        if len(buffer) < after + size + 2:
            return None
        return kind, bytes(buffer[after : after + size]), after + size + 2
    if kind in "*>~%|":
        count = int(head) * (2 if kind in "%|" else 1)
        items = []
        for _ in range(max(count, 0)):
            parsed = _parse(buffer, after)
            if parsed is None:
                return None
            items.append(parsed[1])
            after = parsed[2]
        if kind == "|":  # attributes describe the reply that follows them
            following = _parse(buffer, after)
            return following
        return kind, items, after
    raise ProtocolError(f"unknown RESP3 type {kind!r}")


def confirm_pushed(client: Any) -> None:
    """After a write to a watched key: one more round trip, so that Redis has written the
    invalidation to every watch before the writer goes on (Redis sends the write's reply and the
    invalidations in the same turn of its loop, in no set order; a command it reads after the
    write runs in a later turn)."""
    client.ping()
