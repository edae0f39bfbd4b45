"""Promotions (automatic, or behind voucher codes), the items they target, the codes, and one
redemption row per promotion an order used (what the limits count and a cancellation gives back).

A promotion is one rule (`kind`) with a period, a priority and a stacking rule; the calculation
that applies them to a basket is `promotions/calculation.py` (pure, no queries)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class Kind(models.TextChoices):
    ITEM_PERCENT = "item_percent", "percentage off the targeted items"
    ITEM_FIXED = "item_fixed", "fixed amount off each targeted unit"
    MULTI_BUY = "multi_buy", "multi-buy: every n-th unit of a targeted item at a percentage off"
    BASKET_FIXED = "basket_fixed", "fixed amount off the basket over a threshold"
    BASKET_PERCENT = "basket_percent", "percentage off the basket over a threshold"
    FREE_DELIVERY = "free_delivery", "free delivery over a threshold"
    FIRST_ORDER = "first_order", "amount or percentage off a customer's first order"


class Trigger(models.TextChoices):
    AUTOMATIC = "automatic", "automatic"
    VOUCHER = "voucher", "voucher code"


ITEM_KINDS = frozenset({Kind.ITEM_PERCENT, Kind.ITEM_FIXED, Kind.MULTI_BUY})


class Promotion(models.Model):
    name = models.CharField(max_length=120, help_text="what the customer sees on the discount line")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.AUTOMATIC)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="open-ended when empty")
    is_active = models.BooleanField(default=True)
    priority = models.IntegerField(default=0, help_text="higher applies first")
    stackable = models.BooleanField(
        default=True,
        help_text="applies on top of earlier (higher-priority) discounts; when off, only on items no earlier "
        "discount touched, and nothing later applies to them",
    )
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    threshold = models.DecimalField(
        **MONEY, default=0, help_text="the basket (after item discounts) must reach this; a voucher's minimum basket"
    )
    group_size = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="multi-buy: 3 with 100 % is 3 for 2; 2 with 50 % is the second at half price"
    )
    # Vouchers: limits over all of the promotion's codes, and whether automatic discounts may stay.
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="uses in all, over all codes")
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    combinable = models.BooleanField(default=True, help_text="a voucher that may join automatic discounts")
    times_used = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["trigger", "is_active", "starts_at"], name="promotions_running")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="promotions_kind"),
            models.CheckConstraint(condition=Q(trigger__in=Trigger.values), name="promotions_trigger"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="promotions_percent_range",
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="promotions_amount"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="promotions_threshold"),
            # Exactly one of percent and amount, as the kind needs it (free delivery needs neither).
            models.CheckConstraint(
                condition=(Q(kind__in=("item_percent", "multi_buy", "basket_percent")) & Q(percent__isnull=False))
                | (Q(kind__in=("item_fixed", "basket_fixed")) & Q(amount__isnull=False))
                | Q(kind="free_delivery")
                | (Q(kind="first_order") & (Q(amount__isnull=False) | Q(percent__isnull=False))),
                name="promotions_value_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="multi_buy") | Q(group_size__gte=2), name="promotions_multi_buy_group"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")), name="promotions_period"
            ),
            # The total limit holds: the counter is raised by a conditional UPDATE and never passes it.
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=models.F("usage_limit")),
                name="promotions_within_usage_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PromotionTarget(models.Model):
    """One category (with its subcategories), product or variant an item promotion applies to."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="targets")
    category = models.ForeignKey("catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey("catalog.Variant", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(category__isnull=False) & Q(product__isnull=True) & Q(variant__isnull=True))
                | (Q(category__isnull=True) & Q(product__isnull=False) & Q(variant__isnull=True))
                | (Q(category__isnull=True) & Q(product__isnull=True) & Q(variant__isnull=False)),
                name="promotions_target_exactly_one",
            )
        ]

    def __str__(self) -> str:
        return f"target {self.category_id or self.product_id or self.variant_id}"


class VoucherCode(models.Model):
    """A code that unlocks a voucher promotion: one shared code, or one of a generated batch."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=32, unique=True, help_text="stored upper-case")
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="batch codes: 1")
    times_used = models.PositiveIntegerField(default=0, editable=False)
    batch = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code=Upper("code")), name="promotions_code_upper"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(times_used__lte=models.F("max_uses")),
                name="promotions_code_within_max_uses",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """A promotion an order used, with the discount it gave; released when the order is cancelled."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    code = models.ForeignKey(VoucherCode, null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    order_ref = models.CharField(max_length=40)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    redeemed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        indexes = [
            models.Index(fields=["order_ref"], name="promotions_redemption_order"),
            models.Index(fields=["promotion", "customer"], name="promotions_redemption_cust"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order_ref", "promotion"], name="promotions_once_per_order"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="promotions_redemption_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} on order {self.order_ref}"
