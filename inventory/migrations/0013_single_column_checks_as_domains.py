"""The single-column CHECK constraints of a reservation's line and ledger rows as domain
constraints (decision 0092; the outbox's in events 0006).

PostgreSQL reads a table's CHECK constraints back from their stored text (`stringToNode`),
simplifies and compiles them in every statement that writes the table, whatever columns it sets:
a one-item reservation paid that for ten constraints, a fifth of the backend's instructions
(callgrind). A domain's constraints are parsed once per connection (the type cache) and checked
where a value is assigned to a column of the domain.

The same rules, under the same names, whoever writes (the ORM, raw SQL, COPY): a line's quantity
positive, a movement's reason one of the model's choices. The violation is the same SQLSTATE
(check_violation) with the same constraint name; the message names the domain instead of the
table. The constraint over two columns (a movement moves something) stays on its table, and so do
the reservation's state (its partial indexes name the column) and the stock item's (decision 0092
measured them: the raw conditional UPDATE of the benchmark writes that table too).

The columns change type without a rewrite (a domain without constraints over the same type is
binary coercible); the constraints are then added to the domains NOT VALID, like those of 0012:
the table constraint dropped in the same statement held every existing row to the same rule, so
the ledger is not scanned under the lock again. Going back sets the base type again (the line's
numeric(14,3) rewrites that table). A later AlterField of one of these columns would set the base
type back and lose its rule: tests/inventory/test_checks.py would fail. An array of a domain
(`array_agg(quantity)`) reaches psycopg as a type it does not know: aggregate the base type.
"""

from typing import Any

from django.db import migrations

# (table, column, base type, domain, constraint, rule on VALUE, the table CHECK as it was)
DOMAINS = [
    (
        "inventory.inventory_reservationline",
        "quantity",
        "numeric(14,3)",
        "inventory.inventory_line_quantity",
        "inventory_reservation_line_positive",
        "VALUE > '0'::numeric",
        "quantity > '0'::numeric",
    ),
    (
        "inventory.inventory_stockmovement",
        "reason",
        "varchar(16)",
        "inventory.inventory_movement_reason",
        "inventory_movement_reason",
        "VALUE::text = ANY ('{receipt,sale,reservation,release,adjustment,return,transfer,waste}'::text[])",
        "reason::text = ANY ('{receipt,sale,reservation,release,adjustment,return,transfer,waste}'::text[])",
    ),
]


def to_domains(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, base, domain, name, rule, _check in DOMAINS:
        schema_editor.execute(f"CREATE DOMAIN {domain} AS {base}")
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}, ALTER COLUMN {column} TYPE {domain}")
        schema_editor.execute(f"ALTER DOMAIN {domain} ADD CONSTRAINT {name} CHECK ({rule}) NOT VALID")


def to_table_checks(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, base, domain, name, _rule, check in DOMAINS:
        schema_editor.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {base}, ADD CONSTRAINT {name} CHECK ({check}) NOT VALID"
        )
        schema_editor.execute(f"DROP DOMAIN {domain}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0012_reservation_keys_without_row_checks")]

    operations = [migrations.RunPython(to_domains, to_table_checks)]
