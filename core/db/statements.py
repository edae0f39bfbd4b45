"""A cursor for a hot read or write whose SQL text is the same on every call (PostgreSQL only).

Its parameters are bound on the server (no value is quoted into the text in Python) and, unless
DATABASE_PREPARED_STATEMENTS is off (config/settings.py sets the connection's prepare_threshold),
each statement is prepared once per connection: PostgreSQL neither parses nor plans it again on
every call. Django's own queries bind on the client and are never prepared.

Parameters whose psycopg type follows the value (an int is int2, int4 or int8 by its size) make
one prepared statement per type: pass ids and limits as `psycopg.types.numeric.Int8`, or cast
them in the text.
"""

from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.backends.utils import CursorWrapper


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


def statement_cursor() -> CursorWrapper:
    """Django's cursor wrapper (the statements are counted and logged like any other query)
    around a psycopg cursor that binds on the server and prepares."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        wrapped: CursorWrapper = cast(Any, connection)._prepare_cursor(_cursor_class()(connection.connection))
    return wrapped
