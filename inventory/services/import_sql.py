"""Stock imports, set-based (PostgreSQL): the file goes into a temporary staging table with one
COPY, is checked there with a few statements, and is applied with one UPDATE ... FROM for the
stock items and one INSERT ... SELECT for the ledger; the changes are announced in batches of
many items per event (import_events.py). Python only parses the file (to learn each row's line
number) and formats the reasons of bad rows; memory is bounded by a chunk of rows whatever the
file's size. The stock items the file touches are locked (in id order, the one lock order of
the app) only for the apply: from the lock to the commit.

Rows of the same item compose in file order: a row's on-hand is the last `set` before it (or the
on-hand found) plus the `add`s since, computed with window functions before the lock and
finished against the locked on-hand. Under the lock the reserved quantities and the largest
storable on-hand are checked again: a bad row found then rejects the import (or, with `partial`,
is skipped and the rows after it are composed again without it).
"""

import csv
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction

from catalog import selectors as catalog
from core.errors import DomainError
from core.quantities import MAX_QUANTITY, PIECE
from events.bridge import PAYLOAD_TAG, notify_needed, notify_sql, outbox_written
from inventory.errors import FileRejected
from inventory.models import MovementReason
from inventory.services import import_events, levels
from inventory.services.import_rows import COLUMNS, MODES, REQUIRED, RowError, _jsonl_rows, _lines
from inventory.services.levels import ItemRef, clean_quantity
from inventory.signals import inventory_adjusted_batch

StageRow = tuple[int, str | None, str | None, str | None, str | None, str | None]
FETCH = 10_000


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self) -> None: ...


# ---------------------------------------------------------------- reading the file into the stage


def _csv_stage_rows(text: IO[str], default_mode: str | None) -> Iterator[StageRow]:
    """(line, problem, warehouse, sku, quantity, mode) per record; the line is the record's first
    physical line (a quoted field may span lines)."""
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error:
        header = []
    if header is None:
        raise FileRejected("The file is empty: expected a header line warehouse,sku,quantity,mode.")
    names = [name.strip().lower() for name in header]
    if any(n not in COLUMNS for n in names) or any(n not in names for n in REQUIRED) or len(set(names)) != len(names):
        raise FileRejected(
            f"Line 1: the header must name the columns {', '.join(COLUMNS)} (mode optional); got {','.join(header)!r}."
        )
    width, has_mode, default = len(names), "mode" in names, default_mode or ""
    pick = itemgetter(*(names.index(n) for n in ("warehouse", "sku", "quantity", "mode") if n in names))
    previous = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield previous + 1, f"unreadable CSV ({exc})", None, None, None, None
            previous = reader.line_num
            continue
        line, previous = previous + 1, reader.line_num
        if len(record) == width:
            if has_mode:
                warehouse, sku, quantity, mode = pick(record)
                mode = mode.strip().lower() or default
            else:
                warehouse, sku, quantity = pick(record)
                mode = default
            warehouse = warehouse.strip()
            if not warehouse and all(not field.strip() for field in record):
                continue
            yield line, None, warehouse, sku.strip(), quantity.strip(), mode
        elif record and any(field.strip() for field in record):
            yield line, f"expected {width} fields, found {len(record)}", None, None, None, None


def _jsonl_stage_rows(binary: IO[bytes], default_mode: str | None) -> Iterator[StageRow]:
    for row in _jsonl_rows(_lines(binary, None), default_mode):  # type: ignore[arg-type]
        if isinstance(row, RowError):
            yield row.line, row.reason, None, None, None, None
        else:
            yield row.line, None, row.warehouse, row.sku, str(row.quantity), row.mode


def _csv_bytes(rows: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    try:
        return buffer.getvalue().encode()
    except UnicodeEncodeError:  # undecodable bytes (read as surrogates): those rows are bad rows
        return _csv_bytes(
            [row if _encodes(row) else (row[0], "the line is not valid UTF-8", None, None, None, None) for row in rows]
        )


def _encodes(row: StageRow) -> bool:
    try:
        "".join(field for field in row[1:] if field).encode()
    except UnicodeEncodeError:
        return False
    return True


TABLES = (
    "import_stage, import_rows, import_fix, import_skipped, import_apply, import_created, import_read, import_locked, "
    "import_final"
)


def drop_tables(cursor: Any) -> None:
    """The temporary tables go at commit; inside an outer transaction (tests) an import drops
    those of the one before. Sorts and hashes of a large file stay in memory. No JIT: the
    statements of a large file cost far above its thresholds, and compiling the long expressions
    (the events' bytes) cost more than it saved (1M rows: 28 s against 10 s for the events)."""
    cursor.execute(f"DROP TABLE IF EXISTS {TABLES}")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL jit = off")


def load(cursor: Any, path: Path, fmt: str, default_mode: str | None, chunk_rows: int, progress: Progress) -> None:
    """COPY the file's rows into the temporary table import_stage (dropped at commit)."""
    drop_tables(cursor)
    cursor.execute(
        "CREATE TEMP TABLE import_stage (line integer, problem text, warehouse text, sku text, quantity text, "
        "mode text) ON COMMIT DROP"
    )
    progress.start("checking", path.stat().st_size)
    with path.open("rb") as binary:
        if fmt == "csv":
            text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            rows: Iterator[StageRow] = _csv_stage_rows(text, default_mode)
        else:
            rows = _jsonl_stage_rows(binary, default_mode)
        read = 0
        with cursor.copy("COPY import_stage FROM STDIN (FORMAT csv)") as copy:
            while chunk := list(islice(rows, chunk_rows)):
                copy.write(_csv_bytes(chunk))
                position = binary.tell()
                progress.advance(position - read)
                read = position
    progress.done()


# ---------------------------------------------------------------- checking in SQL

# A row is bad when it could not be read, names no known warehouse or SKU, has no valid mode or
# quantity, or would count below what is reserved (as of the last read of the stock items).
BAD = (
    "(r.problem IS NOT NULL OR r.warehouse_id IS NULL OR r.variant_id IS NULL OR r.mode NOT IN ('set', 'add') "
    "OR r.quantity_problem IS NOT NULL OR r.quantity IS NULL "
    "OR (r.mode = 'set' AND r.quantity < coalesce(r.reserved, 0)))"
)


def check(cursor: Any, raw: Any) -> None:
    """Resolve every staged row (warehouse, variant, quantity, current stock item) into
    import_rows. Quantities in plain notation are checked in SQL; the others (bad ones, exponents,
    trailing zeros) by core.quantities, the one rule, so every reason reads as everywhere else."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE import_rows ON COMMIT DROP AS
        SELECT s.line, s.problem, coalesce(s.warehouse, '') AS warehouse, coalesce(s.sku, '') AS sku,
               coalesce(s.quantity, '') AS quantity_text, coalesce(s.mode, '') AS mode,
               w.id AS warehouse_id, w.code AS warehouse_code, v.id AS variant_id, v.sku AS variant_sku, v.unit,
               CASE WHEN s.problem IS NULL AND v.unit IS NOT NULL
                     AND s.quantity ~ '^[0-9]{{1,11}}(\\.[0-9]{{1,3}})?$'
                     AND (v.unit <> %(piece)s OR s.quantity !~ '\\.[0-9]*[1-9]')
                    THEN s.quantity::numeric(14, 3) END AS quantity,
               NULL::text AS quantity_problem,
               i.id AS item_id, i.reserved
        FROM import_stage s
        LEFT JOIN inventory_warehouse w ON w.code = s.warehouse
        LEFT JOIN ({catalog.variants_by_sku_sql()}) v ON v.sku = s.sku
        LEFT JOIN inventory_stockitem i ON i.warehouse_id = w.id AND i.variant_id = v.id
        """,  # noqa: S608
        {"piece": PIECE},
    )
    cursor.execute("ANALYZE import_rows")  # temporary tables are never analyzed by autovacuum
    fixes: list[tuple[int, Decimal | None, str | None]] = []
    with raw.cursor(name="import_quantities") as unusual:
        unusual.execute(
            "SELECT line, quantity_text, unit FROM import_rows WHERE problem IS NULL AND unit IS NOT NULL "
            "AND quantity IS NULL"
        )
        while batch := unusual.fetchmany(FETCH):
            for line, text, unit in batch:
                try:
                    fixes.append((line, clean_quantity(text, unit=unit, allow_zero=True), None))
                except DomainError as exc:
                    fixes.append((line, None, exc.message))
            if len(fixes) >= FETCH:
                _fix_quantities(cursor, fixes)
                fixes = []
    _fix_quantities(cursor, fixes)


def _fix_quantities(cursor: Any, fixes: list[tuple[int, Decimal | None, str | None]]) -> None:
    if not fixes:
        return
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS import_fix (line integer, quantity numeric, problem text) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE import_fix")
    with cursor.copy("COPY import_fix FROM STDIN") as copy:
        for fix in fixes:
            copy.write_row(fix)
    cursor.execute(
        "UPDATE import_rows r SET quantity = f.quantity, quantity_problem = f.problem FROM import_fix f "
        "WHERE r.line = f.line"
    )


def counts(cursor: Any) -> tuple[int, int]:
    """(rows, bad rows)."""
    cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE {BAD}) FROM import_rows r")  # noqa: S608
    total, bad = cursor.fetchone()
    return int(total), int(bad)


def _reason(
    problem: str | None,
    warehouse: str,
    sku: str,
    mode: str,
    no_warehouse: bool,
    no_variant: bool,
    quantity_problem: str | None,
    quantity: Decimal | None,
    reserved: Decimal | None,
) -> str:
    if problem:
        return problem
    reasons = []
    if no_warehouse:
        reasons.append(f"warehouse {warehouse!r} does not exist" if warehouse else "warehouse is empty")
    if no_variant:
        reasons.append(f"SKU {sku!r} does not exist" if sku else "sku is empty")
    if mode not in MODES:
        reasons.append(
            f"mode must be set or add, not {mode!r}" if mode else "mode is missing (a mode column, or --mode set|add)"
        )
    if quantity_problem:
        reasons.append(quantity_problem)
    if mode == "set" and quantity is not None and reserved is not None and quantity < reserved:
        reasons.append(f"cannot set on-hand to {quantity}: {reserved} is reserved for carts and orders")
    return "; ".join(reasons)


def report_bad_rows(raw: Any, on_error: Callable[[RowError], None]) -> None:
    """Every bad row with its reason, in line order."""
    with raw.cursor(name="import_bad_rows") as bad:
        bad.execute(
            "SELECT line, problem, warehouse, sku, mode, warehouse_id IS NULL, variant_id IS NULL, "  # noqa: S608
            f"quantity_problem, quantity, reserved FROM import_rows r WHERE {BAD} ORDER BY line"
        )
        while batch := bad.fetchmany(FETCH):
            for line, *details in batch:
                on_error(RowError(line, _reason(*details)))


# ---------------------------------------------------------------- applying


def compose(cursor: Any, *, after_creating: bool = False) -> None:
    """import_apply: the good rows with what each needs to know its on-hand before and after
    once the item's on-hand is known (no lock yet); item_id is NULL for an item that does not
    exist yet, or that this import created (`after_creating`: composing again under the lock,
    see create_items). `has_set`/`base`: the last `set` at or before the row; `adds`: the adds
    since; the prev_* the same for the row before."""
    cursor.execute("DROP TABLE IF EXISTS import_apply")
    items = "inventory_stockitem"
    if after_creating:
        items = "(SELECT * FROM inventory_stockitem WHERE id NOT IN (SELECT id FROM import_created))"
    good = f"NOT {BAD} AND NOT EXISTS (SELECT 1 FROM import_skipped k WHERE k.line = r.line)"  # noqa: S608
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM import_rows r WHERE {good} GROUP BY warehouse_id, variant_id "  # noqa: S608
        "HAVING count(*) > 1)"
    )
    if not cursor.fetchone()[0]:  # one row per item (the usual file): no windows needed
        cursor.execute(
            f"""
            CREATE TEMP TABLE import_apply ON COMMIT DROP AS
            SELECT i.id AS item_id, r.line, r.mode, r.quantity, r.warehouse_id, r.warehouse_code, r.variant_id,
                   r.variant_sku, r.unit, r.mode = 'set' AS has_set, r.quantity AS base,
                   CASE WHEN r.mode = 'add' THEN r.quantity ELSE 0 END AS adds, false AS prev_has_set,
                   NULL::numeric AS prev_base, 0::numeric AS prev_adds, true AS last
            FROM import_rows r
            LEFT JOIN {items} i ON i.warehouse_id = r.warehouse_id AND i.variant_id = r.variant_id
            WHERE {good}
            """  # noqa: S608
        )
        cursor.execute("ANALYZE import_apply")
        return
    cursor.execute(
        f"""
        CREATE TEMP TABLE import_apply ON COMMIT DROP AS
        WITH good AS (
            SELECT i.id AS item_id, r.line, r.mode, r.quantity, r.warehouse_id, r.warehouse_code, r.variant_id,
                   r.variant_sku, r.unit,
                   count(*) FILTER (WHERE r.mode = 'set')
                       OVER (PARTITION BY r.warehouse_id, r.variant_id ORDER BY r.line) AS segment
            FROM import_rows r
            LEFT JOIN {items} i ON i.warehouse_id = r.warehouse_id AND i.variant_id = r.variant_id
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


def lock(cursor: Any) -> None:
    """Lock the file's existing stock items in id order (the items it creates are its own) and
    keep what finish() needs of them in import_locked: one pass over the items, not two."""
    cursor.execute("DROP TABLE IF EXISTS import_locked")
    cursor.execute(
        "CREATE TEMP TABLE import_locked ON COMMIT DROP AS "
        "SELECT id, on_hand, reserved, low_stock_threshold FROM inventory_stockitem "
        "WHERE id IN (SELECT item_id FROM import_apply) ORDER BY id FOR UPDATE"
    )


def read_items(cursor: Any) -> None:
    """What lock() keeps, read without locking into import_read: the import prepares its ledger
    rows and events from it before the lock (see unchanged_under_lock)."""
    cursor.execute("DROP TABLE IF EXISTS import_read")
    cursor.execute(
        "CREATE TEMP TABLE import_read ON COMMIT DROP AS "
        "SELECT id, on_hand, reserved, low_stock_threshold FROM inventory_stockitem "
        "WHERE id IN (SELECT item_id FROM import_apply)"
    )
    cursor.execute("ANALYZE import_read")


def lock_unchanged(cursor: Any) -> bool:
    """lock() without keeping the items: whether every locked item still has the on-hand,
    reserved and threshold read before the lock (import_read). Then import_final, and what was
    written from it, is what the locked items give. The rows are locked in id order as the sorted
    subquery returns them, whichever side of the join it is."""
    cursor.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE r.id IS NULL OR (l.on_hand, l.reserved, l.low_stock_threshold)
                                          IS DISTINCT FROM (r.on_hand, r.reserved, r.low_stock_threshold)),
               (SELECT count(*) FROM import_read)
        FROM (
            SELECT id, on_hand, reserved, low_stock_threshold FROM inventory_stockitem
            WHERE id IN (SELECT item_id FROM import_apply) ORDER BY id FOR UPDATE
        ) AS l LEFT JOIN import_read r USING (id)
        """
    )
    locked, changed, read = cursor.fetchone()
    return bool(locked == read and not changed)


def finish(cursor: Any, items: str = "import_locked") -> None:
    """import_final: each row's on-hand before and after, against the locked items (or those read
    before the lock: `items`); 0 for an item the import creates."""
    assert items in ("import_locked", "import_read")
    cursor.execute("DROP TABLE IF EXISTS import_final")
    cursor.execute(
        f"""
        CREATE TEMP TABLE import_final ON COMMIT DROP AS
        SELECT a.item_id, a.line, a.mode, a.quantity, a.warehouse_id, a.warehouse_code, a.variant_id, a.variant_sku,
               a.unit, a.last, coalesce(i.reserved, 0) AS reserved, coalesce(i.low_stock_threshold, 0) AS threshold,
               CASE WHEN a.has_set THEN a.base ELSE coalesce(i.on_hand, 0) END + a.adds AS after,
               CASE WHEN a.prev_has_set THEN a.prev_base ELSE coalesce(i.on_hand, 0) END + a.prev_adds AS before
        FROM import_apply a LEFT JOIN {items} i ON i.id = a.item_id
        """  # noqa: S608
    )
    cursor.execute("ANALYZE import_final")


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


def create_items(cursor: Any, now: Any) -> int | None:
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
            created = _insert_items(cursor, now)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION:
            return None
        raise
    cursor.execute("ANALYZE import_created")
    return int(expected) if created == expected else None


UNIQUE_VIOLATION = "23505"


def _insert_items(cursor: Any, now: Any) -> int:
    cursor.execute(
        f"""
        WITH created AS (
            INSERT INTO inventory_stockitem (warehouse_id, variant_id, on_hand, reserved, low_stock_threshold, version,
                                             created_at, updated_at)
            SELECT warehouse_id, variant_id, max(after) FILTER (WHERE last), 0, 0,
                   CASE WHEN bool_or(after <> before) THEN 2 ELSE 1 END, %s, %s
            FROM ({NEW_ITEM_ROWS}) AS r GROUP BY warehouse_id, variant_id ORDER BY min(line)
            RETURNING id, warehouse_id, variant_id
        )
        INSERT INTO import_created (id, warehouse_id, variant_id) SELECT id, warehouse_id, variant_id FROM created
        """,  # noqa: S608
        [now, now],
    )
    return int(cursor.rowcount)


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
    """One UPDATE of the locked stock items that change, to each one's last on-hand."""
    cursor.execute(
        """
        UPDATE inventory_stockitem i SET on_hand = f.after, version = i.version + 1, updated_at = %s
        FROM (
            SELECT item_id, max(after) FILTER (WHERE last) AS after FROM import_final
            WHERE item_id IS NOT NULL GROUP BY item_id HAVING bool_or(after <> before)
        ) AS f
        WHERE i.id = f.item_id
        """,
        [now],
    )


def write_ledger(
    cursor: Any, *, import_id: int, file_name: str, actor_id: int | None, now: Any, created: bool
) -> tuple[int, int]:
    """One INSERT of a movement per changed row, in file order; the ids of the items just
    created are looked up (in import_created) only when there are any. Returns (changed rows,
    unchanged rows)."""
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
