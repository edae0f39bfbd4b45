"""Housekeeping of the shared building blocks."""

from celery import shared_task
from django.utils import timezone

from core.models import IdempotencyRecord


# The name predates the move to core; beat schedules stored in the database refer to it.
@shared_task(name="suite.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Forget idempotency keys past their replay window (beat runs it hourly)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
