"""Stock imports, set-based (PostgreSQL), the second half: the rows staged and checked by
import_stage.py are applied with one INSERT of the new stock items (import_items.py), one
UPDATE ... FROM of the existing ones and one INSERT ... SELECT for the ledger; the changes are
announced in batches of many items per event (import_events.py). The stock items the file touches are locked (in id
order, the one lock order of the app) only for the apply: from the lock to the commit.

Rows of the same item compose in file order: a row's on-hand is the last `set` before it (or the
on-hand found) plus the `add`s since, computed with window functions before the lock and
finished against the locked on-hand. Under the lock the reserved quantities and the largest
storable on-hand are checked again: a bad row found then rejects the import (or, with `partial`,
is skipped and the rows after it are composed again without it).
"""

from typing import Any

from django.conf import settings

from core.quantities import MAX_QUANTITY
from events.bridge import PAYLOAD_TAG, notify_needed, notify_sql, outbox_written
from inventory.models import MovementReason
from inventory.services import import_events, levels
from inventory.services.import_rows import RowError
from inventory.services.import_stage import BAD
from inventory.services.levels import ItemRef
from inventory.signals import inventory_adjusted_batch

# ---------------------------------------------------------------- applying


def compose(cursor: Any, *, repeats: bool = True, as_checked: bool = False, after_creating: bool = False) -> bool:
    """import_apply: the good rows with what each needs to know its on-hand before and after
    once the item's on-hand is known (no lock yet); item_id is NULL for an item that does not
    exist yet, or that this import created (`after_creating`: composing again under the lock,
    see import_items.create_items). `has_set`/`base`: the last `set` at or before the row; `adds`: the adds
    since; the prev_* the same for the row before. Returns whether every item has one row;
    `repeats` False (from import_stage.load) says so without looking.
    `as_checked`: the items as import_stage.check() found them (its item_id), not a second join
    of every stock item: an item never goes away, and one created since fails import_items.create_items on
    the unique index, after which the import composes again with the join."""
    cursor.execute("DROP TABLE IF EXISTS import_apply")
    items = "inventory_stockitem"
    if after_creating:
        items = "(SELECT * FROM inventory_stockitem WHERE id NOT IN (SELECT id FROM import_created))"
    item, join = "i.id", f"LEFT JOIN {items} i ON i.warehouse_id = r.warehouse_id AND i.variant_id = r.variant_id"
    read = "NULL::numeric AS read_on_hand, NULL::numeric AS read_reserved, NULL::numeric AS read_threshold"
    if as_checked and not after_creating:
        item, join = "r.item_id", ""
        read = "r.on_hand AS read_on_hand, r.reserved AS read_reserved, r.low_stock_threshold AS read_threshold"
    good = f"NOT {BAD} AND NOT EXISTS (SELECT 1 FROM import_skipped k WHERE k.line = r.line)"  # noqa: S608
    if repeats:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM import_rows r WHERE {good} GROUP BY warehouse_id, variant_id "  # noqa: S608
            "HAVING count(*) > 1)"
        )
        repeats = cursor.fetchone()[0]
    if not repeats:  # one row per item (the usual file): no windows needed
        cursor.execute(
            f"""
            CREATE TEMP TABLE import_apply ON COMMIT DROP AS
            SELECT {item} AS item_id, r.line, r.mode, r.quantity, r.warehouse_id, r.warehouse_code, r.variant_id,
                   r.variant_sku, r.unit, r.mode = 'set' AS has_set, r.quantity AS base,
                   CASE WHEN r.mode = 'add' THEN r.quantity ELSE 0 END AS adds, false AS prev_has_set,
                   NULL::numeric AS prev_base, 0::numeric AS prev_adds, true AS last, {read}
            FROM import_rows r {join}
            WHERE {good}
            """  # noqa: S608
        )
        cursor.execute("ANALYZE import_apply")
        return True
    cursor.execute(
        f"""
        CREATE TEMP TABLE import_apply ON COMMIT DROP AS
        WITH good AS (
            SELECT {item} AS item_id, r.line, r.mode, r.quantity, r.warehouse_id, r.warehouse_code, r.variant_id,
                   r.variant_sku, r.unit, {read},
                   count(*) FILTER (WHERE r.mode = 'set')
                       OVER (PARTITION BY r.warehouse_id, r.variant_id ORDER BY r.line) AS segment
            FROM import_rows r {join}
            WHERE {good}
        ), segments AS (
            SELECT good.*, segment > 0 AS has_set, first_value(quantity) OVER s AS base,
                   sum(CASE WHEN mode = 'add' THEN quantity ELSE 0 END) OVER s AS adds
            FROM good WINDOW s AS (PARTITION BY warehouse_id, variant_id, segment ORDER BY line)
        )
        SELECT segments.*, coalesce(lag(has_set) OVER i, false) AS prev_has_set, lag(base) OVER i AS prev_base,
               coalesce(lag(adds) OVER i, 0) AS prev_adds, lead(line) OVER i IS NULL AS last
        FROM segments WINDOW i AS (PARTITION BY warehouse_id, variant_id ORDER BY line)
        """  # noqa: S608
    )
    cursor.execute("ANALYZE import_apply")
    return False


def lock(cursor: Any) -> None:
    """Lock the file's existing stock items in id order (the items it creates are its own) and
    keep what finish() needs of them in import_locked: one pass over the items, not two. (When
    nothing moved since the items were read, lock_and_update_unchanged() locks instead.)"""
    cursor.execute("DROP TABLE IF EXISTS import_locked")
    cursor.execute(
        "CREATE TEMP TABLE import_locked ON COMMIT DROP AS "
        "SELECT id, on_hand, reserved, low_stock_threshold FROM inventory_stockitem "
        "WHERE id IN (SELECT item_id FROM import_apply) ORDER BY id FOR UPDATE"
    )


def read_items(cursor: Any, *, as_checked: bool = False, single: bool = False) -> None:
    """What lock() keeps, read without locking into import_read: the import prepares its ledger
    rows and events from it before the lock (see lock_and_update_unchanged). `as_checked`
    (compose's): the levels the check read with the items, kept in import_apply, instead of a
    second read of every item; lock_and_update_unchanged compares them all the same, and an item
    changed since is written again under the lock. `single`: one row per item, none to leave out."""
    cursor.execute("DROP TABLE IF EXISTS import_read")
    if as_checked:
        distinct = "" if single else "DISTINCT ON (item_id)"
        cursor.execute(
            f"CREATE TEMP TABLE import_read ON COMMIT DROP AS SELECT {distinct} item_id AS id, "  # noqa: S608
            "read_on_hand AS on_hand, read_reserved AS reserved, read_threshold AS low_stock_threshold "
            "FROM import_apply WHERE item_id IS NOT NULL"
        )
    else:
        cursor.execute(
            "CREATE TEMP TABLE import_read ON COMMIT DROP AS "
            "SELECT id, on_hand, reserved, low_stock_threshold FROM inventory_stockitem "
            "WHERE id IN (SELECT item_id FROM import_apply)"
        )
    cursor.execute("ANALYZE import_read")


# An item's new level (import_levels l): the stock item's version moves with every change.
SET_LEVELS = "on_hand = l.after, version = i.version + 1, updated_at = %s"


def levels_to_apply(cursor: Any, *, single: bool = False) -> int:
    """import_levels: one row per existing item the file touches, with the levels import_final
    was finished against (read_*) and the item's last on-hand, and whether it changes: what
    lock_and_update_unchanged (built before the lock, so that nothing is grouped under it) and
    update_levels apply. `single`: one row per item, none to group. Returns how many items."""
    levels = (
        "SELECT item_id AS id, read_on_hand AS on_hand, read_reserved AS reserved, "
        "read_threshold AS low_stock_threshold, after, after <> before AS changed "
        "FROM import_final WHERE item_id IS NOT NULL"
    )
    if not single:  # an item's levels read are the same on each of its rows
        levels = (
            "SELECT item_id AS id, max(read_on_hand) AS on_hand, max(read_reserved) AS reserved, "
            "max(read_threshold) AS low_stock_threshold, max(after) FILTER (WHERE last) AS after, "
            "bool_or(after <> before) AS changed FROM import_final WHERE item_id IS NOT NULL GROUP BY item_id"
        )
    cursor.execute("DROP TABLE IF EXISTS import_levels")
    cursor.execute(f"CREATE TEMP TABLE import_levels ON COMMIT DROP AS {levels}")
    items = int(cursor.rowcount)
    cursor.execute("ANALYZE import_levels")
    return items


def lock_and_update_unchanged(cursor: Any, now: Any, items: int) -> bool:
    """lock() and update_levels() in one statement, when every item still reads as before the
    lock: lock the file's existing items in id order (the sorted `locked` rows are locked as they
    come out of the sort), and only once all are locked and every one still has the on-hand,
    reserved and threshold read before the lock (import_levels), update those that change. Then
    import_final, and what was written from it, is what the locked items give. `items`: how many
    import_levels has (levels_to_apply's count, so that none is counted under the lock). Returns
    whether it updated; when not, nothing was updated and the caller rolls back (releasing the
    locks)."""
    cursor.execute(
        f"""
        WITH locked AS MATERIALIZED (
            SELECT i.id, (i.on_hand, i.reserved, i.low_stock_threshold)
                         IS DISTINCT FROM (l.on_hand, l.reserved, l.low_stock_threshold) AS moved
            FROM inventory_stockitem i JOIN import_levels l USING (id)
            ORDER BY i.id FOR UPDATE OF i
        ), verdict AS MATERIALIZED (
            SELECT count(*) = %s AND NOT coalesce(bool_or(moved), false) AS unchanged
            FROM locked
        ), updated AS (
            UPDATE inventory_stockitem i SET {SET_LEVELS}
            FROM import_levels l, verdict v WHERE i.id = l.id AND l.changed AND v.unchanged
        )
        SELECT unchanged FROM verdict
        """,  # noqa: S608
        [items, now],
    )
    # `updated` runs to its end whether or not the SELECT reads it (a data-modifying WITH).
    return bool(cursor.fetchone()[0])


def finish(cursor: Any, items: str = "import_locked") -> int:
    """import_final: each row's on-hand before and after, against the locked items (or those read
    before the lock: `items`); 0 for an item the import creates. The item's levels it was
    finished against go along (read_*, for levels_to_apply). Returns how many rows it has."""
    assert items in ("import_locked", "import_read")
    cursor.execute("DROP TABLE IF EXISTS import_final")
    cursor.execute(
        f"""
        CREATE TEMP TABLE import_final ON COMMIT DROP AS
        SELECT a.item_id, a.line, a.mode, a.quantity, a.warehouse_id, a.warehouse_code, a.variant_id, a.variant_sku,
               a.unit, a.last, coalesce(i.reserved, 0) AS reserved, coalesce(i.low_stock_threshold, 0) AS threshold,
               CASE WHEN a.has_set THEN a.base ELSE coalesce(i.on_hand, 0) END + a.adds AS after,
               CASE WHEN a.prev_has_set THEN a.prev_base ELSE coalesce(i.on_hand, 0) END + a.prev_adds AS before,
               i.on_hand AS read_on_hand, i.reserved AS read_reserved, i.low_stock_threshold AS read_threshold
        FROM import_apply a LEFT JOIN {items} i ON i.id = a.item_id
        """  # noqa: S608
    )
    rows = int(cursor.rowcount)
    cursor.execute("ANALYZE import_final")
    return rows


def refused_under_lock(cursor: Any) -> list[RowError]:
    """Rows the locked items refuse: a count below what is reserved now, or an on-hand above the
    largest storable (only an item's first such row: the rows after it are composed again
    without it)."""
    refused = "(mode = 'set' AND quantity < reserved) OR after > %(max)s"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM import_final WHERE {refused})", {"max": MAX_QUANTITY})  # noqa: S608
    if not cursor.fetchone()[0]:
        return []
    cursor.execute(
        """
        SELECT line, mode = 'set' AND quantity < reserved, quantity, reserved, after FROM (
            SELECT f.*, count(*) FILTER (WHERE after > %(max)s) OVER (PARTITION BY item_id ORDER BY line) AS large
            FROM import_final f
        ) AS rows
        WHERE (mode = 'set' AND quantity < reserved) OR (after > %(max)s AND large = 1) ORDER BY line
        """,
        {"max": MAX_QUANTITY},
    )
    return [
        RowError(line, f"cannot set on-hand to {quantity}: {reserved} is reserved for carts and orders")
        if below_reserved
        else RowError(line, f"on-hand would become {after}, above the largest quantity stored")
        for line, below_reserved, quantity, reserved, after in cursor.fetchall()
    ]


def skip(cursor: Any, lines: list[int]) -> None:
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS import_skipped (line integer) ON COMMIT DROP")
    if lines:
        cursor.execute("INSERT INTO import_skipped (line) SELECT unnest(%s::integer[])", [lines])


def update_levels(cursor: Any, now: Any) -> None:
    """One UPDATE of the locked stock items that change (import_levels), to each one's last
    on-hand."""
    cursor.execute(
        f"UPDATE inventory_stockitem i SET {SET_LEVELS} "  # noqa: S608
        "FROM import_levels l WHERE i.id = l.id AND l.changed",
        [now],
    )


def write_ledger(
    cursor: Any,
    *,
    import_id: int,
    file_name: str,
    actor_id: int | None,
    now: Any,
    created: bool,
    final_rows: int | None = None,
) -> tuple[int, int]:
    """One INSERT of a movement per changed row, in file order; the ids of the items just
    created are looked up (in import_created) only when there are any. Returns (changed rows,
    unchanged rows): the unchanged ones are `final_rows` (import_final's, from finish) less the
    changed ones, when known, instead of another pass."""
    item, created_items = "f.item_id", ""
    if created:
        item = "coalesce(f.item_id, c.id)"
        created_items = (
            "LEFT JOIN import_created c "
            "ON f.item_id IS NULL AND c.warehouse_id = f.warehouse_id AND c.variant_id = f.variant_id"
        )
    cursor.execute(
        f"""
        INSERT INTO inventory_stockmovement
            (stock_item_id, on_hand_delta, reserved_delta, reason, reference, note, actor_id, created_at)
        SELECT {item}, after - before, 0, %(reason)s, 'import:' || %(import)s || ' line ' || line,
               left(mode || ' ' || quantity || ' from ' || %(file)s, 300), %(actor)s, %(now)s
        FROM import_final f {created_items}
        WHERE after <> before ORDER BY line
        """,  # noqa: S608
        {
            "reason": MovementReason.ADJUSTMENT,
            "import": str(import_id),
            "file": file_name,
            "actor": actor_id,
            "now": now,
        },
    )
    changed = cursor.rowcount
    check_keys_now(cursor, "inventory_stockmovement")
    if final_rows is not None:
        return changed, final_rows - changed
    cursor.execute("SELECT count(*) FROM import_final WHERE after = before")
    return changed, int(cursor.fetchone()[0])


def check_keys_now(cursor: Any, table: str) -> None:
    """Run the deferred foreign-key checks the table's rows queued so far now, not at the commit
    (one trigger call per row: the movements' key to their actor), then defer them again: after
    a write prepared before the lock, the commit under the lock has none of them left."""
    cursor.execute(
        "SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.conname), ', ') "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND c.condeferred",
        [table],
    )
    (keys,) = cursor.fetchone()
    if keys:
        cursor.execute(f"SET CONSTRAINTS {keys} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {keys} DEFERRED")


def low_stock(cursor: Any) -> None:
    """inventory.low_stock for the items the file takes to or below their threshold."""
    cursor.execute(
        "SELECT item_id, warehouse_id, warehouse_code, variant_id, variant_sku, unit, before - reserved, "
        "after - reserved, threshold FROM import_final "
        "WHERE after < before AND after - reserved <= threshold AND threshold < before - reserved ORDER BY line"
    )
    for (
        item_id,
        warehouse_id,
        code,
        variant_id,
        sku,
        unit,
        available_before,
        available_after,
        threshold,
    ) in cursor.fetchall():
        ref = ItemRef(item_id, warehouse_id, code, variant_id, sku, unit)
        levels.check_low_stock(
            ref, available_before=available_before, available_after=available_after, threshold=threshold
        )


CHANGED_ROWS = (
    "SELECT warehouse_code, variant_id, variant_sku, unit, after - before AS delta, after, line FROM import_final "
    "WHERE after <> before"
)


def announce(cursor: Any, *, import_id: int, actor_id: int | None, changed: int) -> int:
    """The inventory.adjusted_batch events of the `changed` rows, in file order, composed and
    written by PostgreSQL in one statement (import_events.py); returns how many were written."""
    size = settings.INVENTORY_IMPORT_EVENT_ITEMS
    framed = import_events.frames(import_id, -(-changed // size))
    if not framed:
        return 0
    notify = notify_needed()
    cursor.execute(
        f"""
        WITH items AS (
            SELECT (row_number() OVER (ORDER BY line) - 1) / %(size)s + 1 AS n, line, item
            FROM ({import_events.items_sql(CHANGED_ROWS)}) AS items
        ), batches AS (
            SELECT n, %(fields)s || string_agg({import_events.field_sql(import_events.ITEMS_TAG, "item")}, ''::bytea
                                                ORDER BY line) AS body
            FROM items GROUP BY n
        ), payloads AS (
            SELECT n, {import_events.field_sql(import_events.ANY_TYPE_URL_TAG, "convert_to(%(url)s, 'UTF8')")}
                      || {import_events.field_sql(import_events.ANY_VALUE_TAG, "body")} AS any
            FROM batches
        ), written AS (
            INSERT INTO events_outboxevent
                (event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at, publish_attempts, last_error)
            SELECT e.event_id, %(type)s, %(aggregate_type)s, %(aggregate_id)s,
                   e.head || {import_events.field_sql(PAYLOAD_TAG, "p.any")} || e.tail, e.occurred_at, 0, ''
            FROM payloads p
            JOIN unnest(%(ids)s::uuid[], %(heads)s::bytea[], %(tails)s::bytea[], %(times)s::timestamptz[])
                 WITH ORDINALITY AS e(event_id, head, tail, occurred_at, n) USING (n)
            ORDER BY n
            RETURNING 1
        )
        SELECT count(*){", " + notify_sql("written") if notify else ""} FROM written
        """,  # noqa: S608
        {
            "size": size,
            "fields": import_events.batch_fields(
                import_id=import_id, reason=MovementReason.ADJUSTMENT, actor_id=actor_id
            ),
            "type": inventory_adjusted_batch.event_type,
            "aggregate_type": inventory_adjusted_batch.aggregate_type,
            "aggregate_id": str(import_id),
            "url": framed[0].type_url,
            "ids": [frame.event_id for frame in framed],
            "heads": [frame.head for frame in framed],
            "tails": [frame.tail for frame in framed],
            "times": [frame.occurred_at for frame in framed],
        },
    )
    written = int(cursor.fetchone()[0])
    outbox_written(notified=notify)
    return written
