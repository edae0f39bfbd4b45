"""Old published events are purged; pending ones never are; the backlog is visible in /readyz."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from config.celery import app
from events.models import OutboxEvent
from events.tasks import purge_published_outbox
from tests.events.helpers import emit_order_created

pytestmark = pytest.mark.django_db


def test_the_purge_deletes_only_published_events_past_retention(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EVENTS_OUTBOX_RETENTION_DAYS = 7
    old_published = emit_order_created("p-1")
    recent_published = emit_order_created("p-2")
    old_pending = emit_order_created("p-3")
    OutboxEvent.objects.filter(pk=old_published.pk).update(published_at=timezone.now() - timedelta(days=8))
    OutboxEvent.objects.filter(pk=recent_published.pk).update(published_at=timezone.now() - timedelta(days=6))
    OutboxEvent.objects.filter(pk=old_pending.pk).update(occurred_at=timezone.now() - timedelta(days=30))

    assert purge_published_outbox() == 1
    assert set(OutboxEvent.objects.values_list("aggregate_id", flat=True)) == {"p-2", "p-3"}


def test_beat_schedules_the_purge_hourly() -> None:
    entry = app.conf.beat_schedule["events-purge-published-outbox"]
    assert entry["task"] == purge_published_outbox.name
    assert entry["schedule"] == 3600


def test_readyz_shows_the_outbox_backlog(client: Client) -> None:
    event = emit_order_created("lag-1")
    OutboxEvent.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timedelta(seconds=90))
    emit_order_created("lag-2")
    body = client.get("/readyz").json()
    assert body["outbox"]["pending"] == 2
    assert 89 <= body["outbox"]["oldest_pending_age_seconds"] < 120


def test_an_outbox_row_never_counts_negative_publish_attempts() -> None:
    # The rule is a domain constraint since events 0006 (decision 0092), not a table CHECK: a
    # migration that sets the column's type back would lose it, and this would fail.
    event = emit_order_created("attempts-1")
    OutboxEvent.objects.filter(pk=event.pk).update(publish_attempts=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxEvent.objects.filter(pk=event.pk).update(publish_attempts=-1)
    event.refresh_from_db()
    assert event.publish_attempts == 3
