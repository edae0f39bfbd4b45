"""The embedded (SQLite) run's stock import: the file read, checked and applied chunk by chunk in
Python, in two passes (imports.py decides which path runs; PostgreSQL's is set-based)."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.utils import timezone

from core.quantities import as_quantity
from inventory.models import ImportBatch, MovementReason, StockItem
from inventory.services import levels
from inventory.services.import_events import AdjustedBatches
from inventory.services.import_report import ImportReport, Progress, Rejected
from inventory.services.import_rows import (
    ItemState,
    RowError,
    ValidRow,
    chunked,
    read_rows,
    too_large,
    validate_chunk,
)
from inventory.services.levels import ItemRef


def check_file(
    path: Path,
    fmt: str,
    default_mode: str | None,
    warehouses: dict[str, tuple[int, str]],
    chunk_rows: int,
    report: ImportReport,
    on_error: Callable[[RowError], None] | None,
    progress: Progress,
) -> set[int]:
    """Pass 1: count and check every row; returns the warehouses the good rows touch."""
    used: set[int] = set()
    progress.start("checking", path.stat().st_size)
    for readable, unreadable in chunked(read_rows(path, fmt, default_mode, progress.advance), chunk_rows):
        valid, errors = validate_chunk(readable, warehouses)
        report.rows_total += len(readable) + len(unreadable)
        report.rows_bad += len(errors) + len(unreadable)
        used.update(row.warehouse_id for row in valid)
        if on_error is not None:
            for error in sorted(errors + unreadable, key=lambda e: e.line):
                on_error(error)
    progress.done()
    return used


def lock_stock_of(warehouse_ids: set[int]) -> None:
    """Lock the stock items of the file's warehouses for the import, in id order: the order every
    other writer locks them in, so an import and reservations queue instead of deadlocking.
    (SQLite, the embedded run, has one writer at a time anyway.)"""
    if connection.vendor != "postgresql" or not warehouse_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT id FROM inventory_stockitem WHERE warehouse_id = ANY(%s) "
            "ORDER BY id FOR UPDATE) AS locked",
            [sorted(warehouse_ids)],
        )


def apply_file(
    path: Path,
    fmt: str,
    default_mode: str | None,
    warehouses: dict[str, tuple[int, str]],
    chunk_rows: int,
    batch: ImportBatch,
    partial: bool,
    actor_id: int | None,
    report: ImportReport,
    on_error: Callable[[RowError], None],
    progress: Progress,
) -> None:
    """Pass 2, inside the import's transaction: re-read, re-check and apply chunk by chunk."""
    report.rows_total = report.rows_bad = 0
    progress.start("applying", path.stat().st_size)
    batches = AdjustedBatches(import_id=batch.pk, reason=MovementReason.ADJUSTMENT, actor_id=actor_id)
    for readable, unreadable in chunked(read_rows(path, fmt, default_mode, progress.advance), chunk_rows):
        valid, errors = validate_chunk(readable, warehouses)
        report.rows_total += len(readable) + len(unreadable)
        changed, unchanged, late_errors = apply_chunk(valid, batch, actor_id, batches)
        errors = sorted(errors + unreadable + late_errors, key=lambda e: e.line)
        for error in errors:
            on_error(error)
        if errors and not partial:
            report.rows_bad = len(errors)
            raise Rejected()
        report.rows_skipped += len(errors)
        report.rows_changed += changed
        report.rows_unchanged += unchanged
    batches.close()
    progress.done()


def stock_items(rows: list[ValidRow]) -> dict[tuple[int, int], ItemState]:
    """The rows' stock items; the missing ones are created empty (in the import's transaction)."""
    items = {(row.warehouse_id, row.variant_id): row.item for row in rows if row.item is not None}
    missing = {(row.warehouse_id, row.variant_id) for row in rows if row.item is None} - set(items)
    if missing:
        StockItem.objects.bulk_create(
            [StockItem(warehouse_id=w, variant_id=v) for w, v in sorted(missing)], ignore_conflicts=True
        )
        for pk, w, v, on_hand, reserved, threshold in StockItem.objects.filter(
            warehouse_id__in={w for w, _ in missing}, variant_id__in={v for _, v in missing}
        ).values_list("pk", "warehouse_id", "variant_id", "on_hand", "reserved", "low_stock_threshold"):
            if (w, v) in missing:
                items[(w, v)] = ItemState(pk, as_quantity(on_hand), as_quantity(reserved), as_quantity(threshold))
    return items


def apply_chunk(
    rows: list[ValidRow], batch: ImportBatch, actor_id: int | None, batches: AdjustedBatches
) -> tuple[int, int, list[RowError]]:
    """Apply the chunk's rows in file order; returns (changed, unchanged, rows refused now)."""
    items = stock_items(rows)
    on_hand: dict[int, Decimal] = {}
    changes: list[tuple[ValidRow, ItemState, Decimal, Decimal]] = []
    refused: list[RowError] = []
    unchanged = 0
    for row in rows:
        item = items[(row.warehouse_id, row.variant_id)]
        before = on_hand.get(item.id, item.on_hand)
        after = row.quantity if row.mode == "set" else before + row.quantity
        if too_large(after):
            refused.append(RowError(row.line, f"on-hand would become {after}, above the largest quantity stored"))
            continue
        on_hand[item.id] = after
        if after == before:
            unchanged += 1
        else:
            changes.append((row, item, after - before, after))
    if not changes:
        return 0, unchanged, refused
    now = timezone.now()
    with connection.cursor() as cursor:
        # Deltas, not values: rows of the same item within a chunk compose, as in file order.
        cursor.executemany(
            "UPDATE inventory_stockitem SET on_hand = on_hand + CAST(%s AS NUMERIC), version = version + 1, "
            "updated_at = %s WHERE id = %s",
            [(delta, now, item.id) for _, item, delta, _ in changes],
        )
    movements = []
    for row, item, delta, after in changes:
        ref = ItemRef(
            id=item.id,
            warehouse_id=row.warehouse_id,
            warehouse_code=row.warehouse_code,
            variant_id=row.variant_id,
            sku=row.sku,
            unit=row.unit,
        )
        reference = f"import:{batch.pk} line {row.line}"
        movements.append(
            levels.movement(
                ref,
                on_hand=delta,
                reason=MovementReason.ADJUSTMENT,
                reference=reference,
                note=f"{row.mode} {row.quantity} from {batch.file_name}",
                actor_id=actor_id,
                now=now,
            )
        )
        batches.add_rows(
            [(row.warehouse_code, str(row.variant_id), row.sku, row.unit, f"{delta:f}", f"{after:f}", row.line)]
        )
        if delta < 0:
            # The import holds the item's lock, so `reserved` is what the chunk read.
            levels.check_low_stock(
                ref,
                available_before=after - delta - item.reserved,
                available_after=after - item.reserved,
                threshold=item.threshold,
            )
    levels.record(movements)
    return len(changes), unchanged, refused
