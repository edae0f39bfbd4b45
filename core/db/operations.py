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
