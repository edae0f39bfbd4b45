"""Schema editor that creates each model's table in the schema of the model's app."""

from django.conf import settings
from django.db.backends.postgresql import schema
from django.db.models import Model


def schema_for_app(app_label: str) -> str:
    return str(settings.APP_SCHEMAS.get(app_label, "public"))


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def create_model(self, model: type[Model]) -> None:
        # Postgres creates a table, with its sequences, in the first schema of the search_path, so
        # the path is narrowed to the app's schema (then `public`, for types from extensions) while
        # the table is created. Deferred SQL (foreign keys, indexes) runs later with the full path
        # and finds every table unqualified. Plain SET, not SET LOCAL, so that non-atomic
        # migrations behave the same.
        target = self.quote_name(schema_for_app(model._meta.app_label))
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {target}")
        self.execute(f"SET search_path TO {target}, public")
        try:
            super().create_model(model)
        finally:
            self.execute(f"SET search_path TO {self._full_search_path()}")

    def _full_search_path(self) -> str:
        from config.db.postgresql.base import search_path

        return ", ".join(self.quote_name(name) for name in search_path().split(","))
