"""Housekeeping of the shared building blocks."""

from celery import shared_task
from django.utils import timezone

from core.models import IdempotencyRecord
from core.queue import redrive_deferred


# The name predates the move to core; beat schedules stored in the database refer to it.
@shared_task(name="suite.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Forget idempotency keys past their replay window (beat runs it hourly)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@shared_task(name="core.redrive_deferred_tasks")
def redrive_deferred_tasks() -> int:
    """Queue the tasks that were kept in the database while the broker was away (beat, every 30 s)."""
    return redrive_deferred()
