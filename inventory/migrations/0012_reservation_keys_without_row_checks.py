"""A reservation and its lines without foreign-key constraints, and two indexes fewer: every
reservation paid three deferred key checks at its COMMIT (a query each, the line's one taking a
KEY SHARE lock on the stock item the same transaction had just updated, while holding that hot
row) and two index entries nobody reads (decision 0088).

What the constraints guaranteed is kept, whoever writes:

- every statement that writes reservation lines writes, in that same statement, the reservation
  they belong to (its id from the INSERT's RETURNING) and locks or updates every stock item they
  name, declining (nothing written) when one is missing (first_reservation.py, basket.py; the
  ORM path of the embedded SQLite does the same in one transaction);
- a stock item is never deleted (0006) and now never changes its id; a warehouse with stock items
  is never deleted (0008), and a reservation's lines are of items of its warehouse, so its
  warehouse stays too;
- a reservation that has lines is never deleted, nor its id changed, and a line's reservation and
  stock item never change: triggers refuse it (none of them runs when reserving: reserving only
  inserts reservations and lines). Those guarding an UPDATE of a reservation or a line run after
  it: a BEFORE row trigger has PostgreSQL lock the row before every update of the table, whatever
  columns it sets (releasing and committing update reservations);
- the ORM still refuses deleting them (PROTECT).

A stock item's id joins the columns its trigger of 0008 guards (BEFORE UPDATE OF, as before:
every update of a stock item already paid that trigger's row lock, and an AFTER trigger instead
measured no cheaper per reservation).

The CHECK constraints a reservation's rows meet are written as PostgreSQL reads them fastest:
the executor parses each constraint's stored expression again in every statement that writes
the table and simplifies it (about a quarter of the backend's instructions per reservation). A
list of allowed values is one array constant instead of an array of constants cast one by one
(`reason = ANY ('{...}'::text[])`), and a numeric zero a constant instead of a cast integer: the
same rules, about a third less to parse. The model's constraints are unchanged (Django keeps
their names; going back recreates them as Django writes them). They are added NOT VALID: the
old form, dropped in the same statement, held every existing row to the same rule.

Indexes dropped: the reservation's (owner_type, owner_id), which no query needs (every lookup by
owner is of the active reservation: the partial unique index serves it; the admin's search is
case-insensitive and could not use it), and the one on its warehouse, which only the admin's
filter reads (it walks the id index backwards, newest first, and filters).
"""

# ruff: noqa: S608 (the SQL is built from constants)
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

KEPT = "the reservation has lines: it is never deleted and its id never changes"
LINE_FIXED = "the reservation and stock item of a reservation line never change"
ITEM_FIXED = "the warehouse and variant of a stock item never change"
ITEM_ID_FIXED = "the id of a stock item never changes: reservation lines and the ledger refer to it"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION inventory.reservation_lines_kept() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inventory.inventory_reservationline WHERE reservation_id = OLD.id) THEN
        RAISE EXCEPTION '{KEPT}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER reservation_lines_kept BEFORE DELETE ON inventory.inventory_reservation
    FOR EACH ROW EXECUTE FUNCTION inventory.reservation_lines_kept();
CREATE TRIGGER reservation_lines_kept_id AFTER UPDATE OF id ON inventory.inventory_reservation
    FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION inventory.reservation_lines_kept();

CREATE OR REPLACE FUNCTION inventory.reservation_line_keys_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{LINE_FIXED}' USING ERRCODE = 'foreign_key_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER reservation_line_keys_fixed AFTER UPDATE OF reservation_id, stock_item_id
    ON inventory.inventory_reservationline FOR EACH ROW
    WHEN (OLD.reservation_id <> NEW.reservation_id OR OLD.stock_item_id <> NEW.stock_item_id)
    EXECUTE FUNCTION inventory.reservation_line_keys_fixed();

CREATE OR REPLACE FUNCTION inventory.stock_item_keys_fixed() RETURNS trigger AS $$
BEGIN
    IF OLD.id <> NEW.id THEN
        RAISE EXCEPTION '{ITEM_ID_FIXED}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION '{ITEM_FIXED}' USING ERRCODE = 'foreign_key_violation';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER stock_item_keys_fixed ON inventory.inventory_stockitem;
CREATE TRIGGER stock_item_keys_fixed BEFORE UPDATE OF id, warehouse_id, variant_id ON inventory.inventory_stockitem
    FOR EACH ROW WHEN (OLD.id <> NEW.id OR OLD.warehouse_id <> NEW.warehouse_id OR OLD.variant_id <> NEW.variant_id)
    EXECUTE FUNCTION inventory.stock_item_keys_fixed();
"""
POSTGRES_BACKWARD = f"""
DROP TRIGGER IF EXISTS reservation_lines_kept ON inventory.inventory_reservation;
DROP TRIGGER IF EXISTS reservation_lines_kept_id ON inventory.inventory_reservation;
DROP TRIGGER IF EXISTS reservation_line_keys_fixed ON inventory.inventory_reservationline;
DROP FUNCTION IF EXISTS inventory.reservation_lines_kept();
DROP FUNCTION IF EXISTS inventory.reservation_line_keys_fixed();
CREATE OR REPLACE FUNCTION inventory.stock_item_keys_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{ITEM_FIXED}' USING ERRCODE = 'foreign_key_violation';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER stock_item_keys_fixed ON inventory.inventory_stockitem;
CREATE TRIGGER stock_item_keys_fixed BEFORE UPDATE OF warehouse_id, variant_id ON inventory.inventory_stockitem
    FOR EACH ROW WHEN (OLD.warehouse_id <> NEW.warehouse_id OR OLD.variant_id <> NEW.variant_id)
    EXECUTE FUNCTION inventory.stock_item_keys_fixed();
"""

# SQLite (the embedded run): row triggers. Altering the fields rebuilds the reservation and line
# tables, which carried no trigger; the stock item table is not rebuilt here.
SQLITE_TRIGGERS = {
    "reservation_lines_kept": (
        "BEFORE DELETE ON inventory_reservation "
        "WHEN EXISTS (SELECT 1 FROM inventory_reservationline WHERE reservation_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
    "reservation_lines_kept_id": (
        "BEFORE UPDATE OF id ON inventory_reservation "
        "WHEN OLD.id <> NEW.id AND EXISTS (SELECT 1 FROM inventory_reservationline WHERE reservation_id = OLD.id) "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    ),
    "reservation_line_keys_fixed": (
        "BEFORE UPDATE OF reservation_id, stock_item_id ON inventory_reservationline "
        "WHEN OLD.reservation_id <> NEW.reservation_id OR OLD.stock_item_id <> NEW.stock_item_id "
        f"BEGIN SELECT RAISE(ABORT, '{LINE_FIXED}'); END"
    ),
    "stock_item_id_fixed": (
        f"BEFORE UPDATE OF id ON inventory_stockitem WHEN OLD.id <> NEW.id BEGIN SELECT RAISE(ABORT, '{ITEM_ID_FIXED}'); END"
    ),
}


# The same rules as the models' CHECK constraints, in the form PostgreSQL parses fastest.
CHEAPER_CHECKS = [
    (
        "stockmovement",
        "inventory.inventory_stockmovement",
        "inventory_movement_reason",
        "reason::text = ANY ('{receipt,sale,reservation,release,adjustment,return,transfer,waste}'::text[])",
    ),
    (
        "reservation",
        "inventory.inventory_reservation",
        "inventory_reservation_state",
        "state::text = ANY ('{active,committed,released,expired}'::text[])",
    ),
    (
        "stockmovement",
        "inventory.inventory_stockmovement",
        "inventory_movement_moves_something",
        "on_hand_delta <> '0'::numeric OR reserved_delta <> '0'::numeric",
    ),
    ("stockitem", "inventory.inventory_stockitem", "inventory_on_hand_not_negative", "on_hand >= '0'::numeric"),
    ("stockitem", "inventory.inventory_stockitem", "inventory_reserved_not_negative", "reserved >= '0'::numeric"),
    (
        "stockitem",
        "inventory.inventory_stockitem",
        "inventory_threshold_not_negative",
        "low_stock_threshold >= '0'::numeric",
    ),
    (
        "reservationline",
        "inventory.inventory_reservationline",
        "inventory_reservation_line_positive",
        "quantity > '0'::numeric",
    ),
]


def cheaper_checks(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # NOT VALID: the constraint dropped in the same statement held every existing row to the
        # same rule, so the ledger (the largest table) is not scanned under this lock again;
        # new and updated rows are checked as before.
        for _model, table, name, check in CHEAPER_CHECKS:
            schema_editor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} CHECK ({check}) NOT VALID"
            )


def checks_as_django_writes_them(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for model_name, _table, name, _check in CHEAPER_CHECKS:
            model = apps.get_model("inventory", model_name)
            [constraint] = [c for c in model._meta.constraints if c.name == name]
            schema_editor.remove_constraint(model, constraint)
            schema_editor.add_constraint(model, constraint)


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
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0011_stock_item_keys_in_one_pass")]

    operations = [
        migrations.RemoveIndex(model_name="reservation", name="inventory_reservation_owner"),
        migrations.AlterField(
            model_name="reservation",
            name="warehouse",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reservations",
                to="inventory.warehouse",
            ),
        ),
        migrations.AlterField(
            model_name="reservationline",
            name="reservation",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="inventory.reservation",
            ),
        ),
        migrations.AlterField(
            model_name="reservationline",
            name="stock_item",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reservation_lines",
                to="inventory.stockitem",
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RunPython(cheaper_checks, checks_as_django_writes_them, elidable=False),
    ]
