"""The provider's side of the test card gateway: what a payment provider keeps on its servers.

The test card gateway is a sandbox provider that lives in this schema so that its behaviour can be
checked like a real provider's: every operation is recorded once per idempotency key (a repeat
gets the stored response, as with Stripe's Idempotency-Key), charges carry their own totals, and
webhooks are signed events with their own ids. Nothing in our ledger reads these tables; only the
sandbox (payments.sandbox.provider) does. The tables are the payments app's (app label `payments`,
same schema, same migrations): PaymentsConfig imports this module with the app's models.
`__test__ = False` keeps pytest from taking the `Test...` names for test classes.
"""

from django.db import models
from django.db.models import F, Q

from core.money import ZERO


class TestCardChargeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the customer (3-D Secure)"
    AUTHORIZED = "authorized", "Authorized"
    CAPTURED = "captured", "Captured (closed)"
    VOIDED = "voided", "Voided"
    FAILED = "failed", "Failed"


class TestCardCharge(models.Model):
    __test__ = False

    reference = models.CharField(max_length=40, unique=True)
    # The gateway (settings.PAYMENTS_GATEWAYS key) the charge was made through: its webhook
    # secret signs the charge's events and its WEBHOOK_URL receives them.
    account = models.CharField(max_length=32)
    card_last4 = models.CharField(max_length=4)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_captured = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    status = models.CharField(max_length=16, choices=TestCardChargeStatus.choices)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    # Bumped on every change; each webhook event carries the charge as of one sequence number.
    sequence = models.PositiveIntegerField(default=1)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "test card charge (provider side)"
        verbose_name_plural = "test card charges (provider side)"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="testcard_charge_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_captured__gte=0, amount_captured__lte=F("amount")),
                name="testcard_charge_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount_captured")),
                name="testcard_charge_refunded_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"


class TestCardOperation(models.Model):
    """A request the provider processed, stored with its response under the idempotency key."""

    __test__ = False

    idempotency_key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16)
    charge = models.ForeignKey(TestCardCharge, on_delete=models.CASCADE, related_name="operations")
    reference = models.CharField(max_length=40, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    final = models.BooleanField(default=False)
    status = models.CharField(max_length=16)
    failure_code = models.CharField(max_length=64, blank=True)
    request_fingerprint = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "test card operation (provider side)"
        verbose_name_plural = "test card operations (provider side)"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.status})"


class TestCardEvent(models.Model):
    """A webhook event the provider sends (and re-sends until it is answered with 2xx)."""

    __test__ = False

    event_id = models.CharField(max_length=40, unique=True)
    charge = models.ForeignKey(TestCardCharge, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    sequence = models.PositiveIntegerField()
    body = models.TextField(help_text="the JSON body, as signed and sent")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "test card webhook event (provider side)"
        verbose_name_plural = "test card webhook events (provider side)"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class TestCardFaultMode(models.TextChoices):
    # The provider does the work and commits it, then the response is lost (a network timeout):
    # the caller cannot know whether money moved and must retry with the same idempotency key.
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit", "Timeout after the operation was recorded"
    # The provider refuses before doing anything (HTTP 503).
    UNAVAILABLE = "unavailable", "Unavailable before doing anything"


class TestCardFault(models.Model):
    """A fault the sandbox injects into its next calls of one kind, for chaos tests and demos."""

    __test__ = False

    operation = models.CharField(max_length=16)
    mode = models.CharField(max_length=32, choices=TestCardFaultMode.choices)
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "test card fault (provider side)"
        verbose_name_plural = "test card faults (provider side)"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.mode} x{self.remaining} on {self.operation}"
