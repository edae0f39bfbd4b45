"""A stock item's references to its warehouse and variant without foreign-key constraints: their
checks cost one trigger call per new item and key, about half of a 1,000,000-row import
(decision 0080). What the constraints guaranteed is kept by triggers, whoever writes:

- inserting stock items (any statement: the import, `ensure_stock_item`, the admin, a COPY) locks
  the warehouses and variants they name FOR KEY SHARE, each once, in one statement per key after
  the INSERT, and refuses the statement if one of them does not exist: the same lock the key's
  check took per row, so a concurrent delete of such a variant waits for the inserting
  transaction and then finds its items;
- a warehouse or variant that has stock items cannot be deleted (nor its id changed): a stock
  item is never deleted (0006), so neither is what it refers to; catalog's `delete_variant` and
  `delete_product` were already refused by the ORM's PROTECT;
- a stock item's warehouse and variant never change.
The refusals raise foreign_key_violation, as the constraints did (IntegrityError in Django).
"""

# ruff: noqa: S608 (the SQL is built from constants)
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

MISSING = "stock item refers to a missing warehouse or variant"
KEPT = "the warehouse or variant has stock items: it is never deleted and its id never changes"
FIXED = "the warehouse and variant of a stock item never change"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION inventory.stock_item_keys_exist() RETURNS trigger AS $$
DECLARE
    wanted bigint;
    locked bigint;
BEGIN
    SELECT count(*) INTO wanted FROM (SELECT variant_id FROM new_items GROUP BY variant_id) AS keys;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM catalog.catalog_variant WHERE id IN (SELECT variant_id FROM new_items) FOR KEY SHARE
    ) AS keys;
    IF locked < wanted THEN
        RAISE EXCEPTION '{MISSING}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT count(*) INTO wanted FROM (SELECT warehouse_id FROM new_items GROUP BY warehouse_id) AS keys;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM inventory.inventory_warehouse WHERE id IN (SELECT warehouse_id FROM new_items) FOR KEY SHARE
    ) AS keys;
    IF locked < wanted THEN
        RAISE EXCEPTION '{MISSING}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_item_keys_exist AFTER INSERT ON inventory.inventory_stockitem
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION inventory.stock_item_keys_exist();

CREATE OR REPLACE FUNCTION inventory.stock_item_keys_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{FIXED}' USING ERRCODE = 'foreign_key_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_item_keys_fixed BEFORE UPDATE OF warehouse_id, variant_id ON inventory.inventory_stockitem
    FOR EACH ROW WHEN (OLD.warehouse_id <> NEW.warehouse_id OR OLD.variant_id <> NEW.variant_id)
    EXECUTE FUNCTION inventory.stock_item_keys_fixed();

-- Runs after the row is locked (a DELETE waits for an inserting transaction's FOR KEY SHARE),
-- and reads with a snapshot of its own: it sees the items that transaction committed.
CREATE OR REPLACE FUNCTION inventory.stock_item_keys_kept() RETURNS trigger AS $$
BEGIN
    IF TG_ARGV[0] = 'variant' AND EXISTS (SELECT 1 FROM inventory.inventory_stockitem WHERE variant_id = OLD.id)
       OR TG_ARGV[0] = 'warehouse'
          AND EXISTS (SELECT 1 FROM inventory.inventory_stockitem WHERE warehouse_id = OLD.id) THEN
        RAISE EXCEPTION '{KEPT}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_items_keep_variant BEFORE DELETE ON catalog.catalog_variant
    FOR EACH ROW EXECUTE FUNCTION inventory.stock_item_keys_kept('variant');
CREATE TRIGGER stock_items_keep_variant_id BEFORE UPDATE OF id ON catalog.catalog_variant
    FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION inventory.stock_item_keys_kept('variant');
CREATE TRIGGER stock_items_keep_warehouse BEFORE DELETE ON inventory.inventory_warehouse
    FOR EACH ROW EXECUTE FUNCTION inventory.stock_item_keys_kept('warehouse');
CREATE TRIGGER stock_items_keep_warehouse_id BEFORE UPDATE OF id ON inventory.inventory_warehouse
    FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION inventory.stock_item_keys_kept('warehouse');
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS stock_item_keys_exist ON inventory.inventory_stockitem;
DROP TRIGGER IF EXISTS stock_item_keys_fixed ON inventory.inventory_stockitem;
DROP TRIGGER IF EXISTS stock_items_keep_variant ON catalog.catalog_variant;
DROP TRIGGER IF EXISTS stock_items_keep_variant_id ON catalog.catalog_variant;
DROP TRIGGER IF EXISTS stock_items_keep_warehouse ON inventory.inventory_warehouse;
DROP TRIGGER IF EXISTS stock_items_keep_warehouse_id ON inventory.inventory_warehouse;
DROP FUNCTION IF EXISTS inventory.stock_item_keys_exist();
DROP FUNCTION IF EXISTS inventory.stock_item_keys_fixed();
DROP FUNCTION IF EXISTS inventory.stock_item_keys_kept();
"""

# SQLite (the embedded run, one writer at a time): row triggers. Altering the columns rebuilt the
# stock item table without 0006's trigger, so it is created again.
NEVER_DELETED = "stock items are never deleted: the stock ledger refers to them"
SQLITE_TRIGGERS = {
    "stock_item_never_deleted": (
        f"BEFORE DELETE ON inventory_stockitem BEGIN SELECT RAISE(ABORT, '{NEVER_DELETED}'); END"
    ),
    "stock_item_keys_exist": (
        "BEFORE INSERT ON inventory_stockitem "
        "WHEN NOT EXISTS (SELECT 1 FROM catalog_variant WHERE id = NEW.variant_id) "
        "OR NOT EXISTS (SELECT 1 FROM inventory_warehouse WHERE id = NEW.warehouse_id) "
        f"BEGIN SELECT RAISE(ABORT, '{MISSING}'); END"
    ),
    "stock_item_keys_fixed": (
        "BEFORE UPDATE OF warehouse_id, variant_id ON inventory_stockitem "
        "WHEN OLD.warehouse_id <> NEW.warehouse_id OR OLD.variant_id <> NEW.variant_id "
        f"BEGIN SELECT RAISE(ABORT, '{FIXED}'); END"
    ),
    "stock_items_keep_variant": (
        "BEFORE DELETE ON catalog_variant "
        "WHEN EXISTS (SELECT 1 FROM inventory_stockitem WHERE variant_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
    "stock_items_keep_variant_id": (
        "BEFORE UPDATE OF id ON catalog_variant "
        "WHEN OLD.id <> NEW.id AND EXISTS (SELECT 1 FROM inventory_stockitem WHERE variant_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
    "stock_items_keep_warehouse": (
        "BEFORE DELETE ON inventory_warehouse "
        "WHEN EXISTS (SELECT 1 FROM inventory_stockitem WHERE warehouse_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
    "stock_items_keep_warehouse_id": (
        "BEFORE UPDATE OF id ON inventory_warehouse "
        "WHEN OLD.id <> NEW.id AND EXISTS (SELECT 1 FROM inventory_stockitem WHERE warehouse_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
}


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            if name != "stock_item_never_deleted":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def key(to: str) -> Any:
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="stock_items",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_first_reservation_undone")]

    operations = [
        migrations.AlterField(model_name="stockitem", name="warehouse", field=key("inventory.warehouse")),
        migrations.AlterField(model_name="stockitem", name="variant", field=key("catalog.variant")),
        migrations.RunPython(forward, backward, elidable=False),
    ]
