"""Stock imports: a CSV or JSON Lines file of (warehouse, SKU, quantity, mode) rows, where mode
`set` makes the row's quantity the on-hand (a count) and `add` adds it (a delivery).

Every row is checked first (syntax, warehouse, SKU, quantity for the variant's unit, a count not
below what is reserved). Only a file without bad rows is applied, unless a partial import is asked
for, which then skips exactly the bad rows and reports each. An import is applied entirely or not
at all, in one transaction, rows in file order (a later row for the same item sees the earlier
one). Every change writes a ledger movement and is announced in `inventory.adjusted_batch` events
of many items each (import_events.py).

On PostgreSQL the work is set-based (import_stage.py: COPY into a staging table, checks in SQL;
import_sql.py: one UPDATE and a few INSERTs), and the touched stock items are locked only for the
apply. The embedded SQLite run reads, checks and applies the file chunk by chunk in Python (the
functions below).

A file is applied once: its fingerprint (sha256 of the content and the default mode) is recorded
in an ImportBatch in the same transaction, so importing it again changes nothing, even when two
imports of it race (the unique fingerprint decides).
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import InvalidInput
from core.quantities import as_quantity
from inventory import cache
from inventory.models import ImportBatch, MovementReason, StockItem
from inventory.services import import_sql, import_stage, levels
from inventory.services.import_events import AdjustedBatches
from inventory.services.import_rows import (
    MODES,
    ItemState,
    RowError,
    ValidRow,
    chunked,
    file_format,
    read_rows,
    too_large,
    validate_chunk,
    warehouses_by_code,
)
from inventory.services.levels import ItemRef

logger = logging.getLogger(__name__)


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass
class ImportReport:
    file_name: str
    status: str = "pending"  # applied | dry_run | rejected | already_imported | empty
    rows_total: int = 0
    rows_bad: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    batch_id: int | None = None
    locked_seconds: float | None = None  # how long the applied import held its stock items locked
    phases: dict[str, float] = field(default_factory=dict, repr=False)  # seconds per phase (PostgreSQL)
    # PostgreSQL: the ledger rows and events written before the lock did not hold under it (an item
    # changed meanwhile, or a row was refused): they were written again under the lock.
    written_under_lock: bool = False
    previous_import: ImportBatch | None = field(default=None, repr=False)


@contextmanager
def _timed(report: ImportReport, phase: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.phases[phase] = report.phases.get(phase, 0.0) + time.monotonic() - started


class _Rejected(Exception):
    """A chunk failed its re-check in pass 2: roll the whole import back."""


class _ItemsCreatedMeanwhile(Exception):
    """Another transaction created a stock item the import was about to create: apply again."""


class _DryRunDone(Exception):
    """Roll back a dry run that applied everything to see what it would do."""


def fingerprint(path: Path, default_mode: str | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    digest.update(f"\0default-mode={default_mode or ''}".encode())
    return digest.hexdigest()


def import_stock(
    path: Path,
    *,
    fmt: str | None = None,
    default_mode: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    actor_id: int | None = None,
    chunk_rows: int | None = None,
    on_error: Callable[[RowError], None] = lambda error: None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check, then apply the file (see the module's docstring); bad rows go to `on_error` with
    their line numbers as they are found. The report's status says what happened."""
    if default_mode is not None and default_mode not in MODES:
        raise InvalidInput(fields={"mode": ["set or add"]})
    fmt = file_format(path, fmt)
    chunk_rows = chunk_rows or settings.INVENTORY_IMPORT_CHUNK_ROWS
    progress = progress or NoProgress()
    report = ImportReport(file_name=path.name)
    digest = fingerprint(path, default_mode)
    previous = ImportBatch.objects.filter(fingerprint=digest).first()
    if previous is not None:
        report.status, report.previous_import, report.batch_id = "already_imported", previous, previous.pk
        return report
    if connection.vendor == "postgresql":
        return _import_set_based(
            path, fmt, default_mode, digest, partial, dry_run, actor_id, chunk_rows, on_error, progress, report
        )

    warehouses = warehouses_by_code()
    used_warehouses = _check_file(
        path, fmt, default_mode, warehouses, chunk_rows, report, None if partial else on_error, progress
    )
    if report.rows_bad and not partial:
        report.status = "rejected"
        return report
    if report.rows_total == report.rows_bad:
        report.status = "empty"
        report.rows_skipped = report.rows_bad
        if partial:  # say exactly what is skipped, although nothing is left to apply
            _check_file(path, fmt, default_mode, warehouses, chunk_rows, ImportReport(path.name), on_error, progress)
        return report

    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        fingerprint=digest, file_name=path.name[:255], partial=partial, actor_id=actor_id
                    )
            except IntegrityError:
                report.status = "already_imported"
                report.previous_import = ImportBatch.objects.filter(fingerprint=digest).first()
                return report
            _lock_stock_of(used_warehouses)
            _apply_file(
                path, fmt, default_mode, warehouses, chunk_rows, batch, partial, actor_id, report, on_error, progress
            )
            batch.rows_total, batch.rows_changed = report.rows_total, report.rows_changed
            batch.rows_unchanged, batch.rows_skipped = report.rows_unchanged, report.rows_skipped
            batch.save(update_fields=["rows_total", "rows_changed", "rows_unchanged", "rows_skipped"])
            report.batch_id = batch.pk
            if dry_run:
                raise _DryRunDone()
            transaction.on_commit(cache.invalidate_everything)
    except _Rejected:
        report.status, report.batch_id = "rejected", None
        return report
    except _DryRunDone:
        report.status, report.batch_id = "dry_run", None
        return report
    report.status = "applied"
    _log(report, path)
    return report


def _log(report: ImportReport, path: Path) -> None:
    logger.info(
        "inventory: import %s applied from %s: %d rows, %d changed, %d unchanged, %d skipped",
        report.batch_id,
        path.name,
        report.rows_total,
        report.rows_changed,
        report.rows_unchanged,
        report.rows_skipped,
    )


def _import_set_based(
    path: Path,
    fmt: str,
    default_mode: str | None,
    digest: str,
    partial: bool,
    dry_run: bool,
    actor_id: int | None,
    chunk_rows: int,
    on_error: Callable[[RowError], None],
    progress: Progress,
    report: ImportReport,
) -> ImportReport:
    """PostgreSQL: stage, check and apply in SQL, in one transaction (see import_sql.py)."""
    locked_at = None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = connection.connection
            with _timed(report, "load"):
                import_stage.load(cursor, path, fmt, default_mode, chunk_rows, progress)
            with _timed(report, "check"):
                import_stage.check(cursor, raw)
                report.rows_total, report.rows_bad = import_stage.counts(cursor)
            if report.rows_bad:
                with _timed(report, "report"):
                    import_stage.report_bad_rows(raw, on_error)
                if not partial:
                    raise _Rejected()
            if report.rows_total == report.rows_bad:
                report.status, report.rows_skipped = "empty", report.rows_bad
                return report
            progress.start("applying", 1)
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        fingerprint=digest, file_name=path.name[:255], partial=partial, actor_id=actor_id
                    )
            except IntegrityError:
                report.status = "already_imported"
                report.previous_import = ImportBatch.objects.filter(fingerprint=digest).first()
                return report
            now = timezone.now()
            import_sql.skip(cursor, [])
            checked_bad, reported = report.rows_bad, set[int]()

            def report_once(error: RowError) -> None:
                if error.line not in reported:
                    reported.add(error.line)
                    on_error(error)

            while True:
                try:
                    with transaction.atomic():
                        locked_at = _apply_under_lock(cursor, raw, batch, partial, actor_id, now, report_once, report)
                    break
                except _ItemsCreatedMeanwhile:
                    report.rows_bad = checked_bad  # the refusals under the lock are found again
            report.rows_skipped = report.rows_bad
            batch.rows_total, batch.rows_changed = report.rows_total, report.rows_changed
            batch.rows_unchanged, batch.rows_skipped = report.rows_unchanged, report.rows_skipped
            batch.save(update_fields=["rows_total", "rows_changed", "rows_unchanged", "rows_skipped"])
            report.batch_id = batch.pk
            progress.advance(1)
            progress.done()
            if dry_run:
                raise _DryRunDone()
            transaction.on_commit(cache.invalidate_everything)
            committing = time.monotonic()
    except _Rejected:
        report.status, report.batch_id = "rejected", None
        return report
    except _DryRunDone:
        report.status, report.batch_id = "dry_run", None
        return report
    assert locked_at is not None
    report.phases["commit"] = time.monotonic() - committing
    report.locked_seconds = time.monotonic() - locked_at
    report.status = "applied"
    _log(report, path)
    return report


def _apply_under_lock(
    cursor: Any,
    raw: Any,
    batch: ImportBatch,
    partial: bool,
    actor_id: int | None,
    now: datetime,
    on_error: Callable[[RowError], None],
    report: ImportReport,
) -> float:
    """Compose, create the new items, lock the existing ones, re-check and apply; returns when
    the stock items were locked. The ledger rows and events are written before the lock from the
    items as read then (_prepare); under the lock, if every locked item still reads the same,
    only the UPDATE is left. Otherwise (or when a row is refused), they are written again under
    the lock, from the locked items."""
    with _timed(report, "compose"):
        import_sql.compose(cursor)
    with _timed(report, "create items"):
        while refused := import_sql.refused_new_items(cursor):
            _refuse(cursor, refused, partial, on_error, report)
            import_sql.compose(cursor)
        created = import_sql.create_items(cursor, now)
        if created is None:
            raise _ItemsCreatedMeanwhile()
    prepared = _prepare(cursor, batch, actor_id, now, report, created=bool(created))
    locked_at = time.monotonic()
    if prepared is not None:
        with _timed(report, "lock"):
            unchanged = import_sql.lock_unchanged(cursor)
        if unchanged:
            transaction.savepoint_commit(prepared)
            with _timed(report, "update"):
                import_sql.update_levels(cursor, now)
            return locked_at
        # Rolling back also releases the locks taken since: lock again, then write from them.
        transaction.savepoint_rollback(prepared)
    with _timed(report, "lock"):
        import_sql.lock(cursor)
    with _timed(report, "finish"):
        import_sql.finish(cursor)
    report.written_under_lock = True
    while refused := import_sql.refused_under_lock(cursor):
        _refuse(cursor, refused, partial, on_error, report)
        import_sql.compose(cursor, after_creating=True)
        import_sql.lock(cursor)  # the items locked already, and any created meanwhile
        import_sql.finish(cursor)
    with _timed(report, "update"):
        import_sql.update_levels(cursor, now)
    _write(cursor, batch, actor_id, now, report, created=bool(created))
    return locked_at


def _prepare(
    cursor: Any, batch: ImportBatch, actor_id: int | None, now: datetime, report: ImportReport, *, created: bool
) -> str | None:
    """Before the lock: the ledger rows, low-stock and batch events from the existing items as
    read now, in a savepoint (see _apply_under_lock); None, writing nothing, when a row would be
    refused (that is decided under the lock)."""
    with _timed(report, "finish"):
        import_sql.read_items(cursor)
        import_sql.finish(cursor, "import_read")
        if import_sql.refused_under_lock(cursor):
            return None
    savepoint = transaction.savepoint()
    _write(cursor, batch, actor_id, now, report, created=created)
    return savepoint


def _write(
    cursor: Any, batch: ImportBatch, actor_id: int | None, now: datetime, report: ImportReport, *, created: bool
) -> None:
    """The ledger rows, low-stock events and batch events of import_final."""
    with _timed(report, "ledger"):
        report.rows_changed, report.rows_unchanged = import_sql.write_ledger(
            cursor, import_id=batch.pk, file_name=batch.file_name, actor_id=actor_id, now=now, created=created
        )
    with _timed(report, "low stock"):
        import_sql.low_stock(cursor)
    with _timed(report, "events"):
        import_sql.announce(cursor, import_id=batch.pk, actor_id=actor_id, changed=report.rows_changed)


def _refuse(
    cursor: Any, refused: list[RowError], partial: bool, on_error: Callable[[RowError], None], report: ImportReport
) -> None:
    """Report the rows refused while applying; skip them if partial, else reject the file."""
    for error in refused:
        on_error(error)
    report.rows_bad += len(refused)
    if not partial:
        raise _Rejected()
    import_sql.skip(cursor, [error.line for error in refused])


def _check_file(
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


def _lock_stock_of(warehouse_ids: set[int]) -> None:
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


def _apply_file(
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
        changed, unchanged, late_errors = _apply_chunk(valid, batch, actor_id, batches)
        errors = sorted(errors + unreadable + late_errors, key=lambda e: e.line)
        for error in errors:
            on_error(error)
        if errors and not partial:
            report.rows_bad = len(errors)
            raise _Rejected()
        report.rows_skipped += len(errors)
        report.rows_changed += changed
        report.rows_unchanged += unchanged
    batches.close()
    progress.done()


def _stock_items(rows: list[ValidRow]) -> dict[tuple[int, int], ItemState]:
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


def _apply_chunk(
    rows: list[ValidRow], batch: ImportBatch, actor_id: int | None, batches: AdjustedBatches
) -> tuple[int, int, list[RowError]]:
    """Apply the chunk's rows in file order; returns (changed, unchanged, rows refused now)."""
    items = _stock_items(rows)
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
