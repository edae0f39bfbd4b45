"""The PostgreSQL backend of the suite: Django's own, plus per-app schemas.

Every connection gets a `search_path` of `public` followed by every app schema, so unqualified
table names (all of Django's SQL, introspection, flushes) resolve wherever the table lives. Tables
keep their plain `app_model` names, which is why the same migrations also run on SQLite.
"""

from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base

from config.db.postgresql.schema import DatabaseSchemaEditor


def app_schemas() -> list[str]:
    """The schemas of the domain apps, in a stable order, without duplicates."""
    return list(dict.fromkeys(settings.APP_SCHEMAS.values()))


def search_path() -> str:
    # `public` first: Django's own tables and anything unmapped are created there.
    return ",".join(["public", *app_schemas()])


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        # Set at connect time through libpq, so it costs no extra round trip per connection and
        # also holds for connections handed out by a pool.
        extra = f"-c search_path={search_path()}"
        if settings.DATABASE_STATEMENT_TIMEOUT_MS:  # the request's budget (config/gunicorn.py)
            extra += f" -c statement_timeout={int(settings.DATABASE_STATEMENT_TIMEOUT_MS)}"
        params["options"] = f"{params['options']} {extra}" if params.get("options") else extra
        return params
