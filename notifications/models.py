"""Every message the shop sends (one row per event, kind and recipient, written before sending)
and each customer's contact preferences (language, SMS)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "e-mail"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "pending"  # queued, or waiting for its next attempt
    SENDING = "sending", "sending"  # handed to the mail server; not yet known to be accepted
    SENT = "sent", "sent"
    FAILED = "failed", "failed"  # given up on: support is told
    # Left "sending" by a crash between the hand-over and the record: perhaps sent, never sent
    # again by itself (at most once); support may send it again.
    UNCONFIRMED = "unconfirmed", "unconfirmed"


class Message(models.Model):
    event_id = models.CharField(max_length=100, help_text="the domain event (or account request) it answers")
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254, help_text="e-mail address or phone number")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_ref = models.CharField(max_length=20, blank=True, db_index=True)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    sensitive = models.BooleanField(default=False, help_text="holds a link that acts for the customer")
    # The person was deleted while this was still to be sent (their "account deleted" mail): its
    # address and content are erased once it is settled.
    erase_when_settled = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "kind", "recipient"], name="notifications_message_once"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="notifications_message_status"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="notifications_status_age"),
            models.Index(fields=["user", "-created_at"], name="notifications_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient}"


class ContactPreference(models.Model):
    """How a customer wants to hear from the shop. No row: the shop's default language, no SMS."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8, help_text="one of the LANGUAGES setting's codes")
    sms = models.BooleanField(default=False, help_text="also a text message when the order is on its way")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
