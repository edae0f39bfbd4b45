"""Stock imports, set-based (PostgreSQL): the stock items a file creates, inserted with their final
on-hand before the existing items are locked (see import_sql.py for the apply as a whole), and the
rows refused because such an item would go above the largest storable on-hand."""

from typing import Any

from django.db import IntegrityError, transaction

from core.quantities import MAX_QUANTITY
from inventory.services.import_rows import RowError

# import_apply's on-hand after and before each row of an item the import creates (from 0).
NEW_ITEM_ROWS = """
    SELECT warehouse_id, variant_id, line, last, CASE WHEN has_set THEN base ELSE 0 END + adds AS after,
           CASE WHEN prev_has_set THEN prev_base ELSE 0 END + prev_adds AS before
    FROM import_apply WHERE item_id IS NULL
"""


def refused_new_items(cursor: Any) -> list[RowError]:
    """Rows that would take an item the import creates above the largest storable on-hand (the
    first such row of an item: the rows after it are composed again without it). Known before
    any lock: such an item starts from 0."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM ({NEW_ITEM_ROWS}) AS r WHERE after > %(max)s)", {"max": MAX_QUANTITY})  # noqa: S608
    if not cursor.fetchone()[0]:
        return []
    cursor.execute(
        f"""
        SELECT line, after FROM (
            SELECT r.*, count(*) FILTER (WHERE after > %(max)s)
                            OVER (PARTITION BY warehouse_id, variant_id ORDER BY line) AS large
            FROM ({NEW_ITEM_ROWS}) AS r
        ) AS rows
        WHERE after > %(max)s AND large = 1 ORDER BY line
        """,  # noqa: S608
        {"max": MAX_QUANTITY},
    )
    return [
        RowError(line, f"on-hand would become {after}, above the largest quantity stored")
        for line, after in cursor.fetchall()
    ]


def create_items(cursor: Any, now: Any, *, one_row_per_item: bool = False) -> int | None:
    """Insert the items the file creates with their final on-hand (no empty row to update after),
    before the existing items are locked: new rows are seen by no other transaction until the
    commit. In file order: their ids, their heap pages and the ledger's references to them then
    follow the file. Their ids go to import_created (composing again under the lock leaves them
    out). Returns how many were created, None when another transaction created one of them
    meanwhile (then compose again)."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS import_created (id bigint, warehouse_id bigint, variant_id bigint) "
        "ON COMMIT DROP"
    )
    expected = None
    if not one_row_per_item:  # one row per item: every row the INSERT reads is an item, no count
        cursor.execute("SELECT count(*) FROM import_apply WHERE item_id IS NULL AND last")
        (expected,) = cursor.fetchone()
        if not expected:
            return 0
    # Their warehouses and variants are locked FOR KEY SHARE and checked by a statement trigger
    # at the end of the INSERT (migration 0008): once per key, before the lock. A plain INSERT,
    # not ON CONFLICT DO NOTHING (its speculative insertion cost a third more): an item another
    # transaction created meanwhile fails it on the unique index, in a savepoint.
    try:
        with transaction.atomic():
            created = _insert_items(cursor, now, one_row_per_item)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION:
            return None
        raise
    if expected is None:  # a plain INSERT: all of them or a unique violation (above)
        expected = created
    if not created:
        return 0
    cursor.execute("ANALYZE import_created")
    return int(expected) if created == expected else None


UNIQUE_VIOLATION = "23505"


def _insert_items(cursor: Any, now: Any, one_row_per_item: bool) -> int:
    # One row per item: the row is the item (no hash of every new item to group them).
    rows = f"""
        SELECT warehouse_id, variant_id, max(after) FILTER (WHERE last) AS after, bool_or(after <> before) AS changed
        FROM ({NEW_ITEM_ROWS}) AS r GROUP BY warehouse_id, variant_id ORDER BY min(line)
    """  # noqa: S608
    if one_row_per_item:
        rows = (
            "SELECT warehouse_id, variant_id, after, after <> before AS changed "  # noqa: S608
            f"FROM ({NEW_ITEM_ROWS}) AS r ORDER BY line"
        )
    cursor.execute(
        f"""
        WITH created AS (
            INSERT INTO inventory_stockitem (warehouse_id, variant_id, on_hand, reserved, low_stock_threshold, version,
                                             created_at, updated_at)
            SELECT warehouse_id, variant_id, after, 0, 0, CASE WHEN changed THEN 2 ELSE 1 END, %s, %s
            FROM ({rows}) AS r
            RETURNING id, warehouse_id, variant_id
        )
        INSERT INTO import_created (id, warehouse_id, variant_id) SELECT id, warehouse_id, variant_id FROM created
        """,  # noqa: S608
        [now, now],
    )
    return int(cursor.rowcount)
