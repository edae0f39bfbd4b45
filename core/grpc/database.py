"""The database around a gRPC call, paid for only by calls that use it.

What Django gives each HTTP request (no stale or broken connection from an earlier request on the
same thread survives into this one: `close_old_connections` before and after) and what the client's
deadline asks (no statement outlives it: `DeadlineBound`), without costing anything to a call that
never touches the database, such as a cached GetProduct (docs/decisions/0081):

- the guard is an execute wrapper installed once on each of a worker thread's connections (those
  it has at its first call, then each one opened during a call: `connection_created`), not
  entered and left per call; between calls it lets statements through untouched;
- a call that ran a statement or opened a connection ends with the statement timeout reset and
  `close_old_connections`, as before; one that did not leaves the connections as the previous
  call's end left them, so there is nothing to check;
- before a call, `close_old_connections` runs only once a kept connection's CONN_MAX_AGE has run
  out (the one thing that changes while a thread is idle), not on every call.

State is per thread, as Django's connections are: grpcio runs each call (a stream until its last
message) on one worker thread, one call at a time."""

import threading
import time
from typing import Any

import grpc
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.db.backends.signals import connection_created

from core.grpc.calls import DeadlineBound


class _ThreadState(threading.local):
    bound: DeadlineBound | None = None  # the current call's, None between calls
    used = False  # the current call ran a statement or opened a connection
    check_at: float | None = None  # when a kept connection's CONN_MAX_AGE runs out (monotonic)
    armed = False  # the connections this thread had before its first call carry the guard


_thread = _ThreadState()


def _guard(execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    bound = _thread.bound
    if bound is None:  # between calls (or a connection shared with non-gRPC work): untouched
        return execute(sql, params, many, context)
    _thread.used = True
    if context["connection"].alias != DEFAULT_DB_ALIAS:  # the deadline bounds the default database's statements
        return execute(sql, params, many, context)
    return bound(execute, sql, params, many, context)


def _armed(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A connection opened during a call: its statements go through the guard from now on (the
    wrapper list belongs to the thread's DatabaseWrapper, so it survives reconnects)."""
    if _thread.bound is None:
        return
    _thread.used = True
    if _guard not in connection.execute_wrappers:
        connection.execute_wrappers.append(_guard)


def install() -> None:
    connection_created.connect(_armed, dispatch_uid="core.grpc.database.armed")


def begin(context: grpc.ServicerContext) -> None:
    if not _thread.armed:  # once per thread: connections opened before any call (none in a worker)
        _thread.armed = True
        for opened in connections.all(initialized_only=True):
            if _guard not in opened.execute_wrappers:
                opened.execute_wrappers.append(_guard)
    check_at = _thread.check_at
    if check_at is not None and time.monotonic() >= check_at:
        _thread.check_at = None
        close_old_connections()
    _thread.bound, _thread.used = DeadlineBound(context), False


def end() -> Exception | None:
    """After the call; returns the error of a failed statement-timeout reset (the connection is
    then dropped by close_old_connections) for the caller to log."""
    bound, used = _thread.bound, _thread.used
    _thread.bound, _thread.used = None, False
    if bound is None or not used:
        return None
    failed = None
    try:
        bound.reset()
    except Exception as error:  # a broken connection: close_old_connections drops it
        failed = error
    close_old_connections()
    _thread.check_at = _next_check()
    return failed


def _next_check() -> float | None:
    """When the earliest kept connection of this thread becomes obsolete (None: none is kept, or
    they are kept for good)."""
    ends = [c.close_at for c in connections.all(initialized_only=True) if c.connection is not None and c.close_at]
    return min(ends) if ends else None
