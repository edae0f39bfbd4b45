"""Webhooks as received: stored (once per provider event id) before anything acts on them."""

from django.db import models
from django.db.models import Q


class WebhookEvent(models.Model):
    gateway = models.CharField(max_length=32)
    provider_event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    body = models.TextField(help_text="the raw body, exactly as signed by the provider")
    signature = models.CharField(max_length=512)
    received_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveIntegerField(default=1, help_text="how often the provider sent it")
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True, help_text="what processing did")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "webhook event"
        constraints = [
            models.UniqueConstraint(fields=["gateway", "provider_event_id"], name="webhook_once_per_event"),
        ]
        indexes = [
            # The sweep's scan: stored but not (yet) processed.
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="webhook_unprocessed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.provider_event_id}"
