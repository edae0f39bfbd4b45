"""Issued documents are immutable in the database itself: UPDATE and DELETE of a document or one
of its lines fail, whoever tries (a service bug, the admin, a hand-written query). A mistake is
corrected by a credit note. TRUNCATE (test flushes, a deliberate reset) is not a row operation."""

from typing import Any

from django.db import migrations

TABLES = ("invoicing_document", "invoicing_documentline")
MESSAGE = "issued invoices and credit notes are immutable: issue a credit note instead"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION invoicing.document_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON invoicing.{table} "
    "FOR EACH ROW EXECUTE FUNCTION invoicing.document_immutable();\n"
    for table in TABLES
)
POSTGRES_BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_immutable ON invoicing.{table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS invoicing.document_immutable();\n"
)
SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for table in TABLES
    for action in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}" for table in TABLES for action in ("UPDATE", "DELETE")
]


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0002_documents")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
