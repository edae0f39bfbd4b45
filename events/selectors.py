"""Reads of the events app used by several callers (probes, admin, commands)."""

from datetime import timedelta
from typing import TypedDict

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from events.models import DeadLetter, DeadLetterStatus, OutboxEvent


class OutboxBacklog(TypedDict):
    pending: int
    oldest_pending_age_seconds: float


def outbox_backlog(*, older_than: timedelta | None = None) -> OutboxBacklog:
    """How far the relay is behind: pending events and the age of the oldest one (its lag).
    `older_than` counts only the events pending for longer than that."""
    now = timezone.now()
    pending = OutboxEvent.objects.filter(published_at__isnull=True)
    if older_than is not None:
        pending = pending.filter(occurred_at__lt=now - older_than)
    row = pending.aggregate(pending=Count("id"), oldest=Min("occurred_at"))
    oldest = row["oldest"]
    age = (now - oldest).total_seconds() if oldest else 0.0
    return {"pending": row["pending"], "oldest_pending_age_seconds": round(max(age, 0.0), 3)}


def pending_dead_letters() -> QuerySet[DeadLetter]:
    """Dead letters nobody has re-run successfully yet, oldest first."""
    return DeadLetter.objects.filter(status=DeadLetterStatus.PENDING).order_by("created_at", "id")


def dead_letter_by_id(dead_letter_id: int) -> DeadLetter | None:
    return DeadLetter.objects.filter(pk=dead_letter_id).first()


def latest_outbox_event(event_type: str) -> OutboxEvent | None:
    return OutboxEvent.objects.filter(event_type=event_type).order_by("-id").first()
