"""A payment per order attempt, and its ledger of gateway operations.

The ledger (PaymentTransaction) is the truth: one authorization, then captures, voids and
refunds, each pending until the gateway answered. Payment keeps running totals of the ledger so
the database itself can refuse a capture above what was authorized or a refund above what was
captured (CHECK constraints), and the state derived from the ledger so lists can filter on it.
Only payments.services writes these rows, under a row lock on the payment.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.money import ZERO

# The reason of the void that the expiry job records when an authorization ran out uncaptured.
EXPIRY_REASON = "authorization expired"


class PaymentState(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHORIZED = "authorized", "Authorized"
    PARTIALLY_CAPTURED = "partially_captured", "Partially captured"
    CAPTURED = "captured", "Captured"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class TransactionKind(models.TextChoices):
    AUTHORIZE = "authorize", "Authorize"
    CAPTURE = "capture", "Capture"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"


class TransactionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Payment(models.Model):
    """One attempt to pay for an order, through one gateway, in one currency."""

    # payments sits below orders, so the order is an opaque reference, not a foreign key.
    order_ref = models.CharField(max_length=64)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=32)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="the amount to authorize")
    # Running totals of the ledger; pending amounts are reserved so that concurrent requests
    # cannot together exceed what is available.
    authorized_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    capture_pending_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    refund_pending_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    state = models.CharField(
        max_length=24,
        choices=PaymentState.choices,
        default=PaymentState.PENDING,
        help_text="derived from the transactions",
    )
    # The gateway's token for the payment method (never a real card number: the test card
    # gateway only accepts its published test numbers).
    payment_method = models.CharField(max_length=255)
    payment_method_label = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(
        max_length=300, unique=True, help_text="the caller's key: the same key is the same payment"
    )
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="when the authorization lapses")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("capture_payment", "Can capture payments"),
            ("refund_payment", "Can refund payments"),
            ("void_payment", "Can void payments"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="payment_currency_code"),
            models.CheckConstraint(
                condition=Q(authorized_amount__gte=0, authorized_amount__lte=F("amount")),
                name="payment_authorized_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, capture_pending_amount__gte=0), name="payment_captured_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(authorized_amount__gte=F("captured_amount") + F("capture_pending_amount")),
                name="payment_captured_within_authorized",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refund_pending_amount__gte=0), name="payment_refunded_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=F("refunded_amount") + F("refund_pending_amount")),
                name="payment_refunded_within_captured",
            ),
        ]
        indexes = [
            models.Index(fields=["order_ref"], name="payment_order_idx"),
            models.Index(fields=["state", "-created_at"], name="payment_state_idx"),
            models.Index(fields=["-created_at"], name="payment_created_idx"),
            # The expiry job's scan: authorizations that can still lapse.
            models.Index(fields=["expires_at"], condition=Q(state=PaymentState.AUTHORIZED), name="payment_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for order {self.order_ref} ({self.amount} {self.currency}, {self.state})"


class PaymentTransaction(models.Model):
    """One operation at the gateway: its amount, its outcome and what the provider answered."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    status = models.CharField(max_length=16, choices=TransactionStatus.choices, default=TransactionStatus.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    final = models.BooleanField(default=False, help_text="a capture that releases the rest of the authorization")
    reason = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=300, help_text="the caller's key for this operation")
    provider_idempotency_key = models.CharField(
        max_length=64, unique=True, help_text="sent to the provider with every attempt"
    )
    provider_reference = models.CharField(max_length=128, blank=True)
    provider_response = models.JSONField(default=dict, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="calls made to the gateway")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the staff member who asked for it, if any",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "transaction"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.UniqueConstraint(fields=["payment", "kind", "idempotency_key"], name="transaction_once_per_key"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind=TransactionKind.AUTHORIZE), name="transaction_one_authorization"
            ),
            # A payment is closed at most once: by one void or one final capture that did not fail.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind=TransactionKind.VOID) & ~Q(status=TransactionStatus.FAILED),
                name="transaction_one_void",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind=TransactionKind.CAPTURE, final=True) & ~Q(status=TransactionStatus.FAILED),
                name="transaction_one_final_capture",
            ),
        ]
        indexes = [
            models.Index(fields=["provider_reference"], name="transaction_provider_ref_idx"),
            # The redrive job's scan: operations still waiting for the gateway.
            models.Index(
                fields=["updated_at"], condition=Q(status=TransactionStatus.PENDING), name="transaction_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == TransactionStatus.PENDING
