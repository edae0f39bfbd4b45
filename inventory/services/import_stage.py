"""Stock imports, set-based (PostgreSQL), the first half: the file goes into a temporary staging
table with one COPY and is checked there with a few statements (import_sql.py applies it).
Python only parses the file (to learn each row's line number) and formats the reasons of bad
rows; memory is bounded by a chunk of rows whatever the file's size.
"""

import csv
import io
from array import array
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Protocol

from catalog import selectors as catalog
from core.errors import DomainError
from core.quantities import PIECE
from inventory.services.import_rows import MODES, RowError, _jsonl_rows, _lines, header_names
from inventory.services.levels import clean_quantity

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
    names = header_names(header)
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
    "import_stage, import_rows, import_fix, import_skipped, import_apply, import_created, import_read, import_levels, "
    "import_locked, import_final"
)


def drop_tables(cursor: Any) -> None:
    """The temporary tables go at commit; inside an outer transaction (tests) an import drops
    those of the one before. Sorts and hashes of a large file stay in memory. No JIT: the
    statements of a large file cost far above its thresholds, and compiling the long expressions
    (the events' bytes) cost more than it saved (1M rows: 28 s against 10 s for the events).
    ANALYZE of the staging tables samples 3,000 rows, not 30,000: the planner needs their sizes
    and which columns are unique, which the smaller sample gives the same (1M rows: 14 ms
    against 90 ms a table, five or six tables an import)."""
    cursor.execute(f"DROP TABLE IF EXISTS {TABLES}")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL default_statistics_target = 10")


def load(cursor: Any, path: Path, fmt: str, default_mode: str | None, chunk_rows: int, progress: Progress) -> bool:
    """COPY the file's rows into the temporary table import_stage (dropped at commit). Returns
    whether two readable rows may name the same item (the same warehouse and SKU text: the only
    way to the same item, codes and SKUs being unique), from a hash of each pair kept as it is
    read (8 bytes a row); False spares compose() the search for repeats (a hash of every item).
    Two pairs with the same hash only answer True, which is always safe."""
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
        # The hashes in 256 arrays by their low byte, each then searched with a set of its own:
        # 8 bytes a row, not a set of the whole file at once (80 MB at 1M rows).
        pairs = [array("q") for _ in range(256)]
        with cursor.copy("COPY import_stage FROM STDIN (FORMAT csv)") as copy:
            while chunk := list(islice(rows, chunk_rows)):
                copy.write(_csv_bytes(chunk))
                for row in chunk:
                    if row[1] is None:
                        pair = hash((row[2], row[3]))
                        pairs[pair & 255].append(pair)
                position = binary.tell()
                progress.advance(position - read)
                read = position
    progress.done()
    return any(len(set(part)) < len(part) for part in pairs)


# ---------------------------------------------------------------- checking in SQL

# A row is bad when it could not be read, names no known warehouse or SKU, has no valid mode or
# quantity, or would count below what is reserved (as of the last read of the stock items).
BAD = (
    "(r.problem IS NOT NULL OR r.warehouse_id IS NULL OR r.variant_id IS NULL OR r.mode NOT IN ('set', 'add') "
    "OR r.quantity_problem IS NOT NULL OR r.quantity IS NULL "
    "OR (r.mode = 'set' AND r.quantity < coalesce(r.reserved, 0)))"
)


def check(cursor: Any, raw: Any) -> None:
    """Resolve every staged row (warehouse, variant, quantity, current stock item and its
    levels: import_sql.read_items may take them from here) into import_rows. Quantities in plain
    notation are checked in SQL; the others (bad ones, exponents, trailing zeros) by
    core.quantities, the one rule, so every reason reads as everywhere else."""
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
               i.id AS item_id, i.reserved, i.on_hand, i.low_stock_threshold
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
