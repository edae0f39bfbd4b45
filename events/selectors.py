"""Reads of the events app used by several callers (probes, admin, commands)."""

from typing import TypedDict

from django.db.models import Count, Min
from django.utils import timezone

from events.models import OutboxEvent


class OutboxBacklog(TypedDict):
    pending: int
    oldest_pending_age_seconds: float


def outbox_backlog() -> OutboxBacklog:
    """How far the relay is behind: pending events and the age of the oldest one (its lag)."""
    row = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(
        pending=Count("id"), oldest=Min("occurred_at")
    )
    oldest = row["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"pending": row["pending"], "oldest_pending_age_seconds": round(max(age, 0.0), 3)}
