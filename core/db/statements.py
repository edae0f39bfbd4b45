"""A cursor for a hot read or write whose SQL text is the same on every call (PostgreSQL only).

Its parameters are bound on the server (no value is quoted into the text in Python) and, unless
DATABASE_PREPARED_STATEMENTS is off (config/settings.py sets the connection's prepare_threshold),
each statement is prepared once per connection: PostgreSQL neither parses nor plans it again on
every call. Django's own queries bind on the client and are never prepared.

Parameters whose psycopg type follows the value (an int is int2, int4 or int8 by its size) make
one prepared statement per type: pass ids and limits as `psycopg.types.numeric.Int8`, or cast
them in the text.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, cast

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from psycopg import pq


@cache
def _cursor_class() -> type[Any]:
    from django.db.backends.postgresql import base  # psycopg 3, PostgreSQL only

    server_binding: Any = base.ServerBindingCursor  # Django's psycopg.Cursor, which its stubs leave out

    class StatementCursor(server_binding):
        """Binds on the server and prepares what it runs, once per connection, when the
        connection allows it."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True if prepare is None else prepare, **kwargs)

        def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
            # psycopg keeps the query of a prepared execution nowhere (cursor._query stays None),
            # so Django's query log (DEBUG, CaptureQueriesContext) would show no SQL for it.
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)

    return StatementCursor


@cache
def _timestamptz_loader() -> type[Any]:
    """psycopg's own timestamptz loader: its C one when psycopg runs on its C implementation."""
    loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, pq.Format.TEXT)
    assert loader is not None  # psycopg registers one for every built-in type
    return loader


def _load_timestamps_in_c(cursor: Any, db: Any) -> None:
    """Django loads every timestamptz with a Python subclass of psycopg's Python loader
    (`SpecificTzLoader`: parse, then `replace(tzinfo=connection.timezone)`), about 10 us a value;
    psycopg's C loader takes about 1 us, and on a session in UTC it returns exactly what Django's
    does (the same instant, `tzinfo=datetime.timezone.utc`). So this cursor uses psycopg's loader
    when both Django's connection time zone and the session's are UTC (Django's default); otherwise
    Django's stays. The wide hot reads load some fifty timestamps per order placed."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    oid = psycopg.adapters.types["timestamptz"].oid
    if db.timezone is datetime.UTC and cursor.connection.info.parameter_status("TimeZone") == "UTC":
        cursor.adapters.register_loader(oid, _timestamptz_loader())
    elif db.timezone != getattr(cursor.adapters.get_loader(oid, pq.Format.TEXT), "timezone", None):
        register_tzloader(db.timezone, cursor)  # what Django's create_cursor does for its cursors
    cursor._django_timezone = db.timezone


def statement_cursor(db: BaseDatabaseWrapper | None = None) -> CursorWrapper:
    """Django's cursor wrapper (the statements are counted and logged like any other query)
    around a psycopg cursor that binds on the server and prepares. The psycopg cursor is made
    once per connection and kept on it: callers need not close it (closing only drops its last
    result, which the next statement replaces anyway; a closed one is made again). `db`: the
    default database's connection, when the caller has it."""
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]  # one lookup: every `connection.x` goes through a proxy
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = _kept_cursor(db)
    wrapped: CursorWrapper = cast(Any, db)._prepare_cursor(cursor)
    return wrapped


def _kept_cursor(db: BaseDatabaseWrapper) -> Any:
    """The psycopg cursor kept on `db`'s open connection, made when missing or closed, and made
    again when Django's time zone changed (a test's override_settings), as Django checks its
    loader's time zone for every cursor it makes."""
    raw = db.connection
    cursor = getattr(raw, "_statement_cursor", None)
    if cursor is None or cursor.closed or cursor._django_timezone is not db.timezone:
        cursor = _cursor_class()(raw)
        _load_timestamps_in_c(cursor, db)
        raw._statement_cursor = cursor
    return cursor


def run_statement(sql: str, params: Any, db: BaseDatabaseWrapper | None = None) -> Any:
    """Execute on `statement_cursor(db)` and return what to fetch the result from. When nothing
    watches queries (no execute wrapper, no query log: DEBUG off, no CaptureQueriesContext) it
    skips Django's cursor wrapper, keeping what the wrapper's execute does (the broken-transaction
    check, DatabaseError in Django's classes with psycopg's error as the cause); a hot statement
    is then a psycopg call under the error wrapping, as the wrapper makes it."""
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    if db.execute_wrappers or db.queries_logged:
        cursor = statement_cursor(db)
        cursor.execute(sql, params)
        return cursor
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        own = _kept_cursor(db)
        db.validate_no_broken_transaction()
        own.execute(sql, params)
    return own


@contextmanager
def hot_cursor() -> Iterator[CursorWrapper]:
    """`statement_cursor()` on PostgreSQL (left open: it is kept on the connection), the
    connection's ordinary cursor on the embedded SQLite (closed after the block), for a
    hand-written statement that runs on both."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        yield statement_cursor()
        return
    with db.cursor() as cursor:
        yield cursor
