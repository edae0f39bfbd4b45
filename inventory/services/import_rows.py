"""Reading and checking the rows of a stock file, a chunk at a time.

Formats: CSV with a header (`warehouse,sku,quantity[,mode]`) and JSON Lines (one object per line
with the same keys). Rows are streamed from the file in binary, so memory stays bounded whatever
its size and the byte count drives the progress bar; only a chunk's rows and its lookups (SKUs,
stock items) are held at a time.
"""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from catalog import selectors as catalog
from core.errors import DomainError
from core.quantities import MAX_QUANTITY, as_quantity
from inventory.errors import FileRejected
from inventory.models import StockItem, Warehouse
from inventory.services.levels import clean_quantity

COLUMNS = ("warehouse", "sku", "quantity", "mode")
REQUIRED = ("warehouse", "sku", "quantity")
MODES = ("set", "add")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class RawRow:
    line: int
    warehouse: str
    sku: str
    quantity: object
    mode: str


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class ItemState:
    id: int
    on_hand: Decimal
    reserved: Decimal
    threshold: Decimal


@dataclass(frozen=True)
class ValidRow:
    line: int
    warehouse_id: int
    warehouse_code: str
    variant_id: int
    sku: str
    unit: str
    quantity: Decimal
    mode: str
    item: ItemState | None  # None: the warehouse holds no stock item of the variant yet


def file_format(path: Path, declared: str | None = None) -> str:
    fmt = declared or FORMATS.get(path.suffix.lower())
    if fmt not in ("csv", "jsonl"):
        raise FileRejected(f"Cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format.")
    return fmt


def _lines(stream: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[tuple[int, str | None]]:
    """(line number, text) per physical line; text None when the line is not UTF-8."""
    for number, raw in enumerate(stream, start=1):
        if progress is not None:
            progress(len(raw))
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None


def read_rows(
    path: Path, fmt: str, default_mode: str | None, progress: Callable[[int], None] | None = None
) -> Iterator[RawRow | RowError]:
    with path.open("rb") as stream:
        reader = _csv_rows if fmt == "csv" else _jsonl_rows
        yield from reader(_lines(stream, progress), default_mode)


def _mode(value: object, default_mode: str | None) -> str:
    text = str(value or "").strip().lower()
    return text or (default_mode or "")


def header_names(header: list[str] | None) -> list[str]:
    """The CSV header's column names, lower-cased; FileRejected unless it names each required
    column once and nothing else."""
    if header is None:
        raise FileRejected("The file is empty: expected a header line warehouse,sku,quantity,mode.")
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        raise FileRejected(
            f"Line 1: the header must name the columns {', '.join(COLUMNS)} (mode optional); got {','.join(header)!r}."
        )
    return names


def _csv_rows(lines: Iterator[tuple[int, str | None]], default_mode: str | None) -> Iterator[RawRow | RowError]:
    numbers: list[int] = []  # physical lines of the record being read (a quoted field may span lines)
    undecodable: set[int] = set()

    def texts() -> Iterator[str]:
        for number, text in lines:
            numbers.append(number)
            if text is None:
                undecodable.add(number)
            yield text if text is not None else "\n"

    reader = csv.reader(texts())
    names = header_names(next(reader, None))
    position = {name: index for index, name in enumerate(names)}
    numbers.clear()
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = numbers[0] if numbers else reader.line_num
            numbers.clear()
            undecodable.clear()
            yield RowError(line, f"unreadable CSV ({exc})")
            continue
        line, bad = (numbers[0] if numbers else reader.line_num), bool(undecodable.intersection(numbers))
        numbers.clear()
        undecodable.clear()
        if bad:
            yield RowError(line, "the line is not valid UTF-8")
        elif not record or all(not field.strip() for field in record):
            continue
        elif len(record) != len(names):
            yield RowError(line, f"expected {len(names)} fields, found {len(record)}")
        else:
            yield RawRow(
                line,
                record[position["warehouse"]].strip(),
                record[position["sku"]].strip(),
                record[position["quantity"]].strip(),
                _mode(record[position["mode"]] if "mode" in position else "", default_mode),
            )


def _jsonl_rows(lines: Iterator[tuple[int, str | None]], default_mode: str | None) -> Iterator[RawRow | RowError]:
    for line, text in lines:
        if text is None:
            yield RowError(line, "the line is not valid UTF-8")
            continue
        if not text.strip():
            continue
        try:
            record: Any = json.loads(text, parse_float=Decimal)
        except ValueError as exc:
            yield RowError(line, f"not valid JSON ({exc.args[0].split(':')[0]})")
            continue
        if not isinstance(record, dict):
            yield RowError(line, "expected a JSON object with warehouse, sku, quantity and mode")
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        missing = [key for key in REQUIRED if key not in record]
        if unknown or missing:
            problems = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"missing key(s) {', '.join(missing)}"] if missing else []
            yield RowError(line, "; ".join(problems))
            continue
        quantity = record["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, str | int | Decimal):
            yield RowError(line, "quantity must be a number or a decimal string")
            continue
        yield RawRow(
            line,
            str(record["warehouse"]).strip(),
            str(record["sku"]).strip(),
            quantity,
            _mode(record.get("mode"), default_mode),
        )


def warehouses_by_code() -> dict[str, tuple[int, str]]:
    """Every warehouse (a shop has tens, not millions): code -> (id, code)."""
    return {code: (pk, code) for pk, code in Warehouse.objects.values_list("pk", "code")}


def validate_chunk(rows: list[RawRow], warehouses: dict[str, tuple[int, str]]) -> tuple[list[ValidRow], list[RowError]]:
    """Check a chunk of rows with one lookup of its SKUs and one of its stock items."""
    skus = {row.sku for row in rows}
    variants = catalog.variant_ids_and_units_by_sku(skus)
    warehouse_ids = {warehouses[row.warehouse][0] for row in rows if row.warehouse in warehouses}
    variant_ids = {pk for pk, _ in variants.values()}
    items = {
        (w, v): ItemState(pk, as_quantity(on_hand), as_quantity(reserved), as_quantity(threshold))
        for pk, w, v, on_hand, reserved, threshold in StockItem.objects.filter(
            warehouse_id__in=warehouse_ids, variant_id__in=variant_ids
        ).values_list("pk", "warehouse_id", "variant_id", "on_hand", "reserved", "low_stock_threshold")
    }
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    for row in rows:
        reasons = []
        warehouse = warehouses.get(row.warehouse)
        if warehouse is None:
            reasons.append(f"warehouse {row.warehouse!r} does not exist" if row.warehouse else "warehouse is empty")
        variant = variants.get(row.sku)
        if variant is None:
            reasons.append(f"SKU {row.sku!r} does not exist" if row.sku else "sku is empty")
        if row.mode not in MODES:
            reasons.append(
                f"mode must be set or add, not {row.mode!r}"
                if row.mode
                else "mode is missing (a mode column, or --mode set|add)"
            )
        quantity = None
        if variant is not None:
            try:
                quantity = clean_quantity(row.quantity, unit=variant[1], allow_zero=True)
            except DomainError as exc:
                reasons.append(exc.message)
        item = items.get((warehouse[0], variant[0])) if warehouse and variant else None
        if item is not None and quantity is not None and row.mode == "set" and quantity < item.reserved:
            reasons.append(f"cannot set on-hand to {quantity}: {item.reserved} is reserved for carts and orders")
        if reasons:
            errors.append(RowError(row.line, "; ".join(reasons)))
            continue
        assert warehouse is not None and variant is not None and quantity is not None
        valid.append(
            ValidRow(row.line, warehouse[0], warehouse[1], variant[0], row.sku, variant[1], quantity, row.mode, item)
        )
    return valid, errors


def chunked(rows: Iterator[RawRow | RowError], size: int) -> Iterator[tuple[list[RawRow], list[RowError]]]:
    """Rows in chunks of `size` readable rows, with the unreadable ones met on the way."""
    readable: list[RawRow] = []
    unreadable: list[RowError] = []
    for row in rows:
        if isinstance(row, RowError):
            unreadable.append(row)
        else:
            readable.append(row)
        if len(readable) >= size:
            yield readable, unreadable
            readable, unreadable = [], []
    if readable or unreadable:
        yield readable, unreadable


def too_large(on_hand: Decimal) -> bool:
    return on_hand > MAX_QUANTITY
