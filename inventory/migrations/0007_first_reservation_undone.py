"""The function an owner's first reservation in one statement calls to undo itself when, its
items locked last, a line no longer fits (decision 0078): raising rolls back everything the
statement wrote. Its SQLSTATE (IR001, `first_reservation.UNDONE`) tells the caller to take the
two-step path, which decides on a fresh read."""

from typing import Any

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION inventory.first_reservation_undone() RETURNS boolean AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'IR001',
        MESSAGE = 'inventory: the first reservation in one statement is undone: a line is short '
                  'or crosses its low-stock threshold once its items are locked';
END
$$ LANGUAGE plpgsql;
"""
POSTGRES_BACKWARD = "DROP FUNCTION IF EXISTS inventory.first_reservation_undone();"


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_ledger_item_key_without_row_checks")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
