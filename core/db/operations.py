"""Migration operations for the per-app PostgreSQL schemas."""

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class CreateSchema(Operation):
    """Create an app's schema on PostgreSQL; nothing on other databases.

    Reversing drops the schema only when it is empty, so a mistaken rollback cannot take data.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str) -> None:
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return ("core.db.operations.CreateSchema", [self.name], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_editor.quote_name(self.name)}")

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP SCHEMA IF EXISTS {schema_editor.quote_name(self.name)} RESTRICT")

    def describe(self) -> str:
        return f"Create the PostgreSQL schema {self.name!r}"

    @property
    def migration_name_fragment(self) -> str:
        return f"schema_{self.name}"


class AppendOnly(Operation):
    """Make tables append-only in the database itself: UPDATE and DELETE of a row fail, whoever
    tries (the admin, a service bug, a hand-written query), with `message`. TRUNCATE (test
    flushes, a deliberate reset) is not a row operation and stays possible. A trigger per table
    on PostgreSQL (raising restrict_violation) and on SQLite (the embedded mode)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, schema: str, tables: list[str], message: str) -> None:
        self.schema, self.tables, self.message = schema, list(tables), message

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return ("core.db.operations.AppendOnly", [self.schema, self.tables, self.message], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _forwards(self, vendor: str) -> list[str]:
        message = self.message.replace("'", "''")
        if vendor == "postgresql":
            return [
                f"CREATE OR REPLACE FUNCTION {self.schema}.{table}_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$ LANGUAGE plpgsql; "
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {self.schema}.{table} "
                f"FOR EACH ROW EXECUTE FUNCTION {self.schema}.{table}_append_only();"
                for table in self.tables
            ]
        if vendor == "sqlite":
            return [
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                for table in self.tables
                for action in ("UPDATE", "DELETE")
            ]
        return []

    def _backwards(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {self.schema}.{table}; "
                f"DROP FUNCTION IF EXISTS {self.schema}.{table}_append_only();"
                for table in self.tables
            ]
        if vendor == "sqlite":
            return [f"DROP TRIGGER IF EXISTS {t}_no_{a}" for t in self.tables for a in ("update", "delete")]
        return []

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self._forwards(schema_editor.connection.vendor):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self._backwards(schema_editor.connection.vendor):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Make {', '.join(self.tables)} append-only"
