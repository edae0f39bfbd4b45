"""Stock item pages keep half of their space free (fillfactor 50), so that an update finds room
on the row's own page: a HOT update, which writes no index entry. A count of every item (the
daily stock import) updates every row of a page in one statement: with full pages each new
version went to another page with an entry in each of the three indexes, under the import's lock
(decision 0080). Reservations, which update one item's `reserved` at a time, gain the same. The
price is twice the table's pages. Applies to pages written from now on (a VACUUM FULL or the next
rewrite spreads the existing rows)."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory.inventory_stockitem SET (fillfactor = 50)")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory.inventory_stockitem RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_stock_item_keys_without_row_checks")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
