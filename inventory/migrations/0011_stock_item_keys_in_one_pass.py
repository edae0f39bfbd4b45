"""The statement trigger that stands for a stock item's keys to its warehouse and variant
(migration 0008) reads the INSERT's transition table once, not three times: both sets of keys in
one pass (hashed grouping sets), then the same FOR KEY SHARE lock of each distinct variant and
warehouse and the same refusal when one is missing. The transition table of 1,000,000 new items
is 64 MB spilled to disk; each pass over it cost a third of a second or more (decision 0084).
PostgreSQL only: SQLite's row triggers are unchanged."""

# ruff: noqa: S608 (the SQL is built from constants)
from typing import Any

from django.db import migrations

MISSING = "stock item refers to a missing warehouse or variant"

FORWARD = f"""
CREATE OR REPLACE FUNCTION inventory.stock_item_keys_exist() RETURNS trigger AS $$
DECLARE
    variants bigint[];
    warehouses bigint[];
    locked bigint;
BEGIN
    SELECT coalesce(array_agg(variant_id) FILTER (WHERE kind = 1), '{{}}'),
           coalesce(array_agg(warehouse_id) FILTER (WHERE kind = 2), '{{}}')
    INTO variants, warehouses
    FROM (
        SELECT variant_id, warehouse_id, GROUPING(variant_id, warehouse_id) AS kind FROM new_items
        GROUP BY GROUPING SETS ((variant_id), (warehouse_id))
    ) AS keys;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM catalog.catalog_variant WHERE id = ANY (variants) FOR KEY SHARE
    ) AS keys;
    IF locked < cardinality(variants) THEN
        RAISE EXCEPTION '{MISSING}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM inventory.inventory_warehouse WHERE id = ANY (warehouses) FOR KEY SHARE
    ) AS keys;
    IF locked < cardinality(warehouses) THEN
        RAISE EXCEPTION '{MISSING}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

# 0008's body.
BACKWARD = f"""
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
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_ledger_actor_index_skips_nulls")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
