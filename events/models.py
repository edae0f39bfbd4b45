"""The outbox of domain events, the inbox of consumers, and the dead letters."""

import uuid

from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it describes.

    The relay publishes rows in `id` order and stamps `published_at`; nothing else changes a row.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    aggregate_type = models.CharField(max_length=64)
    aggregate_id = models.CharField(max_length=64)
    payload = models.BinaryField(help_text="The serialized EventEnvelope (protobuf).")
    occurred_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            # The relay's scan: only unpublished rows, in write order. Stays small however big
            # the table grows between purges.
            models.Index(fields=["id"], condition=Q(published_at__isnull=True), name="outbox_pending_idx"),
            # The purge's scan. Partial: a row is written unpublished, so every insert skipped an
            # entry that only the purge reads (the relay's stamp adds it).
            models.Index(fields=["published_at"], condition=Q(published_at__isnull=False), name="outbox_published_idx"),
            models.Index(fields=["event_type", "occurred_at"], name="outbox_type_idx"),
            # No (aggregate_type, aggregate_id) index: no query asks for it (the admin's search is
            # case-insensitive and could not use it), and every event paid its entry (decision 0088).
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ProcessedEvent(models.Model):
    """The inbox of a consumer group: an event id is recorded in the same transaction as the
    handler's effect, so a redelivered event is recognised and applied once."""

    consumer_group = models.CharField(max_length=100)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer_group", "event_id"], name="processed_event_once"),
        ]
        indexes = [models.Index(fields=["processed_at"], name="processed_event_age_idx")]

    def __str__(self) -> str:
        return f"{self.consumer_group} {self.event_type} {self.event_id}"


class DeadLetterStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRIED = "retried", "Retried successfully"


class DeadLetter(models.Model):
    """A message a consumer could not process, kept with the reason until someone retries it."""

    consumer_group = models.CharField(max_length=100)
    topic = models.CharField(max_length=200)
    partition = models.IntegerField()
    offset = models.BigIntegerField()
    key = models.BinaryField(null=True, blank=True)
    value = models.BinaryField()
    headers = models.JSONField(default=list, blank=True)
    event_id = models.CharField(max_length=64, blank=True)
    event_type = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64)
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=DeadLetterStatus.choices, default=DeadLetterStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A message redelivered after a crash is dead-lettered once.
            models.UniqueConstraint(fields=["consumer_group", "topic", "partition", "offset"], name="dead_letter_once"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="dead_letter_status_idx")]

    def __str__(self) -> str:
        return f"{self.consumer_group} {self.topic}[{self.partition}]@{self.offset}: {self.error_code}"
