"""Report runs: asked for (by staff or a schedule), computed by an analytics worker, kept for a while.

A run moves queued -> running -> succeeded | failed. The worker claims a run with a conditional
UPDATE, so a redelivered message never computes it twice at the same time; a run that succeeded is
never recomputed. A scheduled run is keyed by report and period (`period_key`, unique).
"""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.queue import enqueue_on_commit
from reports.catalogue import ReportResult, get_report
from reports.errors import ReportRunNotFound
from reports.models import ReportRun, RunStatus
from reports.schedules import resolve_period

EXECUTE_RUN = "reports.execute_run"  # the task in reports.tasks

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)


def generate(name: str, raw: dict[str, Any]) -> ReportResult:
    """Compute a report now (the command line, tests); invalid parameters raise."""
    report = get_report(name)
    return report.run(report.parameters(raw))


def _enqueue(run: ReportRun) -> None:
    enqueue_on_commit(EXECUTE_RUN, run.pk)  # routed to the analytics queue by its name


@transaction.atomic
def request_run(name: str, raw: dict[str, Any], *, user: "User | None" = None) -> ReportRun:
    """Check the parameters, record a queued run and hand it to the analytics queue after commit."""
    report = get_report(name)
    params = report.parameters(raw)
    run = ReportRun.objects.create(report=report.name, parameters=params.as_json(), requested_by=user)
    _enqueue(run)
    return run


def request_scheduled_run(name: str, *, period: str, schedule: str, **extra: Any) -> ReportRun:
    """The run of this report for the period the schedule names, created once (a repeated or
    redelivered beat message finds it)."""
    start, end = resolve_period(period)
    report = get_report(name)
    params = report.parameters({"start": start.isoformat(), "end": end.isoformat(), **extra})
    key = f"{report.name}:{params.start.isoformat()}:{params.end.isoformat()}"
    if extra:
        key += ":" + ",".join(f"{k}={v}" for k, v in sorted(extra.items()))
    existing = ReportRun.objects.filter(period_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ReportRun.objects.create(
                report=report.name, parameters=params.as_json(), schedule=schedule, period_key=key
            )
    except IntegrityError:  # another worker created it a moment ago
        return ReportRun.objects.get(period_key=key)


def _claim(run_id: int) -> ReportRun | None:
    now = timezone.now()
    claimed = ReportRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.FAILED]).update(
        status=RunStatus.RUNNING, started_at=now, finished_at=None, error="", attempts=F("attempts") + 1
    )
    return ReportRun.objects.get(pk=run_id) if claimed else None


def execute_run(run_id: int) -> ReportRun:
    """Compute a queued (or failed) run and store its files and summary; a run already running or
    done is returned as it is."""
    if not ReportRun.objects.filter(pk=run_id).exists():
        raise ReportRunNotFound()
    run = _claim(run_id)
    if run is None:
        return ReportRun.objects.get(pk=run_id)
    report = get_report(run.report)
    from reports import exports  # pandas, only in the processes that run reports (see reports.catalogue)

    try:
        result = report.run(report.parameters(run.parameters))
        stem = f"{run.report}-{run.parameters['start']}-{run.parameters['end']}-run{run.pk}"
        with tempfile.TemporaryDirectory() as folder:
            csv_path, xlsx_path = Path(folder) / f"{stem}.csv", Path(folder) / f"{stem}.xlsx"
            exports.write_csv(result, csv_path)
            exports.write_xlsx(result, xlsx_path, title=report.title)
            with csv_path.open("rb") as csv_file, xlsx_path.open("rb") as xlsx_file:
                run.csv_file.save(csv_path.name, File(csv_file), save=False)
                run.xlsx_file.save(xlsx_path.name, File(xlsx_file), save=False)
    except Exception as exc:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        log.exception("report run %s (%s) failed", run.pk, run.report)
        raise
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.rows = len(result.frame)
    run.summary = {"summary": result.summary, "chart": result.chart}
    run.save(update_fields=["status", "finished_at", "rows", "summary", "csv_file", "xlsx_file"])
    log.info(
        "report run %s (%s) succeeded: %s rows in %.1f s",
        run.pk,
        run.report,
        run.rows,
        (run.finished_at - (run.started_at or run.finished_at)).total_seconds(),
    )
    return run


def purge_expired_runs() -> int:
    """Delete runs older than REPORTS_RETENTION_DAYS, with their files."""
    cutoff = timezone.now() - timedelta(days=settings.REPORTS_RETENTION_DAYS)
    deleted = 0
    for run in ReportRun.objects.filter(created_at__lt=cutoff).exclude(status=RunStatus.RUNNING).iterator():
        for stored in (run.csv_file, run.xlsx_file):
            if stored:
                stored.delete(save=False)
        run.delete()
        deleted += 1
    return deleted
