"""Writes of the events app: applying consumed events once, dead letters, outbox housekeeping."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.metrics import DEAD_LETTERS
from events.consumer import ConsumedEvent, EventConsumer, discover_consumers
from events.contracts import InvalidEventPayload, UnknownEventType, unpack_envelope
from events.models import DeadLetter, DeadLetterStatus, OutboxEvent, ProcessedEvent


class DeadLetterRetryFailed(Exception):
    code = "dead_letter_retry_failed"


def apply_event(consumer: EventConsumer, event: ConsumedEvent) -> bool:
    """Run the consumer's handler for the event and record it in the group's inbox, in one
    transaction. Returns False (and changes nothing) when the group already processed it."""
    handler = consumer.handler_for(event.event_type)
    if handler is None:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(
                    consumer_group=consumer.group, event_id=event.event_id, event_type=event.event_type
                )
        except IntegrityError:
            return False  # a redelivery: the effect is already there
        handler(event)
    return True


def record_dead_letter(
    *,
    consumer_group: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes,
    headers: list[tuple[str, bytes]],
    error_code: str,
    error: str,
    attempts: int,
    event_id: str = "",
    event_type: str = "",
) -> DeadLetter:
    """Keep a message the group gave up on; the same message dead-lettered twice is kept once."""
    dead_letter, created = DeadLetter.objects.get_or_create(
        consumer_group=consumer_group,
        topic=topic,
        partition=partition,
        offset=offset,
        defaults={
            "key": key,
            "value": value,
            "headers": [[name, raw.decode("utf-8", "replace")] for name, raw in headers],
            "event_id": event_id,
            "event_type": event_type,
            "error_code": error_code,
            "error": error[:4000],
            "attempts": attempts,
        },
    )
    if created:
        DEAD_LETTERS.labels(consumer_group, error_code).inc()
    return dead_letter


def retry_dead_letter(dead_letter_id: int) -> DeadLetter:
    """Run the dead letter's event through its consumer again, now; mark it retried on success.

    Safe to repeat: the consumer's inbox still applies the event at most once.
    """
    with transaction.atomic():
        dead_letter = DeadLetter.objects.select_for_update().get(pk=dead_letter_id)
        if dead_letter.status == DeadLetterStatus.RETRIED:
            return dead_letter
        consumer_class = discover_consumers().get(dead_letter.consumer_group)
        error: str | None = None
        if consumer_class is None:
            error = f"no consumer group {dead_letter.consumer_group!r} in this deployment"
        else:
            try:
                envelope, payload = unpack_envelope(bytes(dead_letter.value))
                with transaction.atomic():
                    apply_event(consumer_class(), ConsumedEvent(envelope, payload))
            except (InvalidEventPayload, UnknownEventType) as exc:
                error = f"{exc.code}: {exc}"
            except Exception as exc:  # the handler's own failure, reported to the operator
                error = f"{type(exc).__name__}: {exc}"
        dead_letter.attempts += 1
        if error is None:
            dead_letter.status = DeadLetterStatus.RETRIED
            dead_letter.retried_at = timezone.now()
        else:
            dead_letter.error = error[:4000]
        dead_letter.save(update_fields=["attempts", "status", "retried_at", "error"])
    if error is not None:
        raise DeadLetterRetryFailed(error)
    return dead_letter


def purge_published_outbox(*, older_than: timedelta) -> int:
    """Delete published outbox rows older than `older_than`; unpublished rows are never touched."""
    cutoff = timezone.now() - older_than
    deleted, _ = OutboxEvent.objects.filter(published_at__isnull=False, published_at__lt=cutoff).delete()
    return deleted
