"""Records that belong to the HTTP layer of the suite as a whole, not to one domain."""

from django.conf import settings
from django.db import models


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed for repeats.

    A key belongs to one client (user, or anonymous) and one endpoint (method and path).
    """

    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=300, help_text="client and endpoint the key belongs to")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS)
    locked_until = models.DateTimeField(help_text="a request in progress past this is presumed dead")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once_per_scope")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.state})"


class DeferredTask(models.Model):
    """A Celery task that could not be queued because the broker was unavailable when its
    transaction committed (core/queue.py). Re-driven, oldest first, once the broker answers again:
    by the next successful enqueue of the process that deferred it and by beat every 30 s
    (core.redrive_deferred_tasks). Tasks are idempotent (ids in, state re-read), so a re-drive that
    races a late original is harmless."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    countdown = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="deferred_task_created_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class AuditEntry(models.Model):
    """One change a member of staff made, in the admin or the staff API (core/audit.py).

    Append-only: the database refuses UPDATE and DELETE of these rows (migration 0002), so
    nobody, the admin included, can rewrite who did what."""

    at = models.DateTimeField(db_index=True)
    # No database constraint and nothing done on delete: an account may go, its entries stay
    # (with actor_email) and are never rewritten.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, db_index=True, help_text="kept if the account goes")
    channel = models.CharField(max_length=16, help_text="admin, api or command")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=40, db_index=True, help_text="create, update, delete or a named action")
    object_type = models.CharField(max_length=100, db_index=True, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": [before, after]}')
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.object_type} {self.object_id}"
