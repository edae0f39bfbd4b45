"""Celery tasks of the events app (thin: they call services)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from events import services


@shared_task(name="events.purge_published_outbox")
def purge_published_outbox() -> int:
    """Delete published outbox rows past the retention period (beat runs it hourly)."""
    return services.purge_published_outbox(older_than=timedelta(days=settings.EVENTS_OUTBOX_RETENTION_DAYS))
