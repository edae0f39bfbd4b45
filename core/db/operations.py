"""Migration operations for the per-app PostgreSQL schemas."""

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class _StatementsOperation(Operation):
    """An operation that changes no model state and runs the SQL its subclass gives for the
    database at hand, forwards and backwards."""

    reversible = True
    reduces_to_sql = True

    def forwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        raise NotImplementedError

    def backwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        raise NotImplementedError

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self.forwards_sql(schema_editor):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self.backwards_sql(schema_editor):
            schema_editor.execute(statement)


class CreateSchema(_StatementsOperation):
    """Create an app's schema on PostgreSQL; nothing on other databases.

    Reversing drops the schema only when it is empty, so a mistaken rollback cannot take data.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return ("core.db.operations.CreateSchema", [self.name], {})

    def forwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        if schema_editor.connection.vendor != "postgresql":
            return []
        return [f"CREATE SCHEMA IF NOT EXISTS {schema_editor.quote_name(self.name)}"]

    def backwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        if schema_editor.connection.vendor != "postgresql":
            return []
        return [f"DROP SCHEMA IF EXISTS {schema_editor.quote_name(self.name)} RESTRICT"]

    def describe(self) -> str:
        return f"Create the PostgreSQL schema {self.name!r}"

    @property
    def migration_name_fragment(self) -> str:
        return f"schema_{self.name}"


class AppendOnly(_StatementsOperation):
    """Make tables append-only in the database itself: UPDATE and DELETE of a row fail, whoever
    tries (the admin, a service bug, a hand-written query), with `message`. TRUNCATE (test
    flushes, a deliberate reset) is not a row operation and stays possible. A trigger per table
    on PostgreSQL (raising restrict_violation) and on SQLite (the embedded mode)."""

    def __init__(self, schema: str, tables: list[str], message: str) -> None:
        self.schema, self.tables, self.message = schema, list(tables), message

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return ("core.db.operations.AppendOnly", [self.schema, self.tables, self.message], {})

    def forwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        vendor = schema_editor.connection.vendor
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

    def backwards_sql(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            return [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {self.schema}.{table}; "
                f"DROP FUNCTION IF EXISTS {self.schema}.{table}_append_only();"
                for table in self.tables
            ]
        if vendor == "sqlite":
            return [f"DROP TRIGGER IF EXISTS {t}_no_{a}" for t in self.tables for a in ("update", "delete")]
        return []

    def describe(self) -> str:
        return f"Make {', '.join(self.tables)} append-only"
