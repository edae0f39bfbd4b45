"""The stock ledger is append-only in the database itself: UPDATE and DELETE of a movement fail,
whoever tries (a service bug, the admin, a hand-written query). TRUNCATE (test flushes, a deliberate
reset) is not a row operation and stays possible."""

from typing import Any

from django.db import migrations

MESSAGE = "inventory_stockmovement is append-only: record a correcting movement instead"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION inventory.stock_movement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_movement_append_only BEFORE UPDATE OR DELETE ON inventory.inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory.stock_movement_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS stock_movement_append_only ON inventory.inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory.stock_movement_append_only();
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER stock_movement_no_update BEFORE UPDATE ON inventory_stockmovement "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER stock_movement_no_delete BEFORE DELETE ON inventory_stockmovement "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS stock_movement_no_update", "DROP TRIGGER IF EXISTS stock_movement_no_delete"]


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
    dependencies = [("inventory", "0002_warehouses_stock_ledger_reservations")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
