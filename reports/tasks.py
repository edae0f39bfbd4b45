"""Celery tasks of the reports app, on the `analytics` queue (settings.CELERY_TASK_ROUTES): thin
adapters over reports.services, idempotent (a run id in, its state re-read)."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from reports import services

LIMITS: dict[str, Any] = {
    "soft_time_limit": settings.REPORTS_SOFT_TIME_LIMIT,
    "time_limit": settings.REPORTS_TIME_LIMIT,
}


@shared_task(name="reports.execute_run", autoretry_for=(DatabaseError,), retry_backoff=30, max_retries=3, **LIMITS)
def execute_report_run(run_id: int) -> str:
    return services.execute_run(run_id).status


@shared_task(name="reports.run_scheduled", autoretry_for=(DatabaseError,), retry_backoff=30, max_retries=3, **LIMITS)
def run_scheduled_report(report: str, period: str, schedule: str = "", **params: Any) -> int:
    """What a beat entry sends: the run of `report` for `period` (created once), computed here."""
    run = services.request_scheduled_run(report, period=period, schedule=schedule or f"{report}:{period}", **params)
    services.execute_run(run.pk)
    return run.pk


@shared_task(name="reports.purge_expired_runs")
def purge_expired_report_runs() -> int:
    return services.purge_expired_runs()
