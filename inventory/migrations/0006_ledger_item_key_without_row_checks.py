"""The ledger's reference to its stock item without a foreign-key constraint: the per-row checks
of a 1,000,000-row import cost more than the rest of its commit (decision 0076). What the
constraint guaranteed is kept: a stock item is never deleted (a database trigger refuses it,
whoever tries, so no movement can lose its item), and every writer inserts movements only for
the items it has just locked or created (tests/inventory/test_ledger.py proves both)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

MESSAGE = "stock items are never deleted: the stock ledger refers to them"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION inventory.stock_item_never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_item_never_deleted BEFORE DELETE ON inventory.inventory_stockitem
    FOR EACH ROW EXECUTE FUNCTION inventory.stock_item_never_deleted();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS stock_item_never_deleted ON inventory.inventory_stockitem;
DROP FUNCTION IF EXISTS inventory.stock_item_never_deleted();
"""
SQLITE_FORWARD = (
    f"CREATE TRIGGER stock_item_never_deleted BEFORE DELETE ON inventory_stockitem "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
)
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS stock_item_never_deleted"


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


def ledger_triggers_again(apps: Any, schema_editor: Any) -> None:
    """SQLite rebuilds a table to alter a column, and the rebuilt ledger lost migration 0003's
    triggers: they are created again."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in LEDGER_APPEND_ONLY:
            schema_editor.execute(statement)


LEDGER_MESSAGE = "inventory_stockmovement is append-only: record a correcting movement instead"
LEDGER_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS stock_movement_no_update BEFORE UPDATE ON inventory_stockmovement "
    f"BEGIN SELECT RAISE(ABORT, '{LEDGER_MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS stock_movement_no_delete BEFORE DELETE ON inventory_stockmovement "
    f"BEGIN SELECT RAISE(ABORT, '{LEDGER_MESSAGE}'); END",
]


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_drop_redundant_reservation_line_index")]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
        migrations.AlterField(
            model_name="stockmovement",
            name="stock_item",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="inventory.stockitem",
            ),
        ),
        migrations.RunPython(ledger_triggers_again, migrations.RunPython.noop, elidable=False),
    ]
