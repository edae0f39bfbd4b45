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
apply. The embedded SQLite run reads, checks and applies the file chunk by chunk in Python
(import_embedded.py). What an import reports: import_report.py.

A file is applied once: its fingerprint (sha256 of the content and the default mode) is recorded
in an ImportBatch in the same transaction, so importing it again changes nothing, even when two
imports of it race (the unique fingerprint decides).
"""

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import InvalidInput
from inventory import cache
from inventory.models import ImportBatch
from inventory.services import import_embedded, import_items, import_sql, import_stage
from inventory.services.import_report import (
    DryRunDone,
    ImportReport,
    ItemsCreatedMeanwhile,
    NoProgress,
    Progress,
    Rejected,
    timed,
)
from inventory.services.import_rows import (
    MODES,
    RowError,
    file_format,
    warehouses_by_code,
)

logger = logging.getLogger(__name__)


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
    used_warehouses = import_embedded.check_file(
        path, fmt, default_mode, warehouses, chunk_rows, report, None if partial else on_error, progress
    )
    if report.rows_bad and not partial:
        report.status = "rejected"
        return report
    if report.rows_total == report.rows_bad:
        report.status = "empty"
        report.rows_skipped = report.rows_bad
        if partial:  # say exactly what is skipped, although nothing is left to apply
            import_embedded.check_file(
                path, fmt, default_mode, warehouses, chunk_rows, ImportReport(path.name), on_error, progress
            )
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
            import_embedded.lock_stock_of(used_warehouses)
            import_embedded.apply_file(
                path, fmt, default_mode, warehouses, chunk_rows, batch, partial, actor_id, report, on_error, progress
            )
            batch.rows_total, batch.rows_changed = report.rows_total, report.rows_changed
            batch.rows_unchanged, batch.rows_skipped = report.rows_unchanged, report.rows_skipped
            batch.save(update_fields=["rows_total", "rows_changed", "rows_unchanged", "rows_skipped"])
            report.batch_id = batch.pk
            if dry_run:
                raise DryRunDone()
            transaction.on_commit(cache.invalidate_everything)
    except Rejected:
        report.status, report.batch_id = "rejected", None
        return report
    except DryRunDone:
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
            with timed(report, "load"):
                repeats = import_stage.load(cursor, path, fmt, default_mode, chunk_rows, progress)
            with timed(report, "check"):
                import_stage.check(cursor, raw)
                report.rows_total, report.rows_bad = import_stage.counts(cursor)
            if report.rows_bad:
                with timed(report, "report"):
                    import_stage.report_bad_rows(raw, on_error)
                if not partial:
                    raise Rejected()
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

            as_checked = True
            while True:
                try:
                    with transaction.atomic():
                        locked_at = _apply_under_lock(
                            cursor,
                            raw,
                            batch,
                            partial,
                            actor_id,
                            now,
                            report_once,
                            report,
                            repeats=repeats,
                            as_checked=as_checked,
                        )
                    break
                except ItemsCreatedMeanwhile:
                    report.rows_bad = checked_bad  # the refusals under the lock are found again
                    as_checked = False  # the stock items as they are now
            report.rows_skipped = report.rows_bad
            batch.rows_total, batch.rows_changed = report.rows_total, report.rows_changed
            batch.rows_unchanged, batch.rows_skipped = report.rows_unchanged, report.rows_skipped
            batch.save(update_fields=["rows_total", "rows_changed", "rows_unchanged", "rows_skipped"])
            report.batch_id = batch.pk
            progress.advance(1)
            progress.done()
            if dry_run:
                raise DryRunDone()
            transaction.on_commit(cache.invalidate_everything)
            committing = time.monotonic()
    except Rejected:
        report.status, report.batch_id = "rejected", None
        return report
    except DryRunDone:
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
    *,
    repeats: bool = True,
    as_checked: bool = False,
) -> float:
    """Compose, create the new items, lock the existing ones, re-check and apply; returns when
    the stock items were locked. The ledger rows and events are written before the lock from the
    items as read then (_prepare); under the lock, if every locked item still reads the same,
    only the UPDATE is left. Otherwise (or when a row is refused), they are written again under
    the lock, from the locked items."""
    with timed(report, "compose"):
        single = import_sql.compose(cursor, repeats=repeats, as_checked=as_checked)
    with timed(report, "create items"):
        while refused := import_items.refused_new_items(cursor):
            _refuse(cursor, refused, partial, on_error, report)
            single = import_sql.compose(cursor, repeats=repeats, as_checked=as_checked)
        created = import_items.create_items(cursor, now, one_row_per_item=single)
        if created is None:
            raise ItemsCreatedMeanwhile()
    prepared = _prepare(
        cursor, batch, actor_id, now, report, created=bool(created), as_checked=as_checked, single=single
    )
    locked_at = time.monotonic()
    if prepared is not None:
        savepoint, items = prepared
        with timed(report, "lock and update"):
            updated = import_sql.lock_and_update_unchanged(cursor, now, items)
        if updated:
            transaction.savepoint_commit(savepoint)
            return locked_at
        # Rolling back also releases the locks taken since: lock again, then write from them.
        transaction.savepoint_rollback(savepoint)
    with timed(report, "lock"):
        import_sql.lock(cursor)
    with timed(report, "finish"):
        final_rows = import_sql.finish(cursor)
    report.written_under_lock = True
    while refused := import_sql.refused_under_lock(cursor):
        _refuse(cursor, refused, partial, on_error, report)
        import_sql.compose(cursor, after_creating=True)
        import_sql.lock(cursor)  # the items locked already, and any created meanwhile
        final_rows = import_sql.finish(cursor)
    with timed(report, "update"):
        import_sql.levels_to_apply(cursor)
        import_sql.update_levels(cursor, now)
    _write(cursor, batch, actor_id, now, report, created=bool(created), final_rows=final_rows)
    return locked_at


def _prepare(
    cursor: Any,
    batch: ImportBatch,
    actor_id: int | None,
    now: datetime,
    report: ImportReport,
    *,
    created: bool,
    as_checked: bool,
    single: bool,
) -> tuple[str, int] | None:
    """Before the lock: the ledger rows, low-stock and batch events from the existing items as
    read now, in a savepoint (see _apply_under_lock): the savepoint and how many existing items
    the file touches; None, writing nothing, when a row would be refused (that is decided under
    the lock)."""
    with timed(report, "finish"):
        import_sql.read_items(cursor, as_checked=as_checked, single=single)
        final_rows = import_sql.finish(cursor, "import_read")
        if import_sql.refused_under_lock(cursor):
            return None
        items = import_sql.levels_to_apply(cursor, single=single)
    savepoint = transaction.savepoint()
    _write(cursor, batch, actor_id, now, report, created=created, final_rows=final_rows)
    return savepoint, items


def _write(
    cursor: Any,
    batch: ImportBatch,
    actor_id: int | None,
    now: datetime,
    report: ImportReport,
    *,
    created: bool,
    final_rows: int,
) -> None:
    """The ledger rows, low-stock events and batch events of import_final."""
    with timed(report, "ledger"):
        report.rows_changed, report.rows_unchanged = import_sql.write_ledger(
            cursor,
            import_id=batch.pk,
            file_name=batch.file_name,
            actor_id=actor_id,
            now=now,
            created=created,
            final_rows=final_rows,
        )
    with timed(report, "low stock"):
        import_sql.low_stock(cursor)
    with timed(report, "events"):
        import_sql.announce(cursor, import_id=batch.pk, actor_id=actor_id, changed=report.rows_changed)


def _refuse(
    cursor: Any, refused: list[RowError], partial: bool, on_error: Callable[[RowError], None], report: ImportReport
) -> None:
    """Report the rows refused while applying; skip them if partial, else reject the file."""
    for error in refused:
        on_error(error)
    report.rows_bad += len(refused)
    if not partial:
        raise Rejected()
    import_sql.skip(cursor, [error.line for error in refused])
