"""Orders as placed (snapshots of what was bought, at what price, for which slot and address) and
as picked (what actually left the warehouse), with a history row for every change of status."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.taxes import TaxClass
from orders.models.cart import MONEY, QUANTITY, Substitution

RATE: dict[str, Any] = {"max_digits": 5, "decimal_places": 2}  # VAT percent


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "pending payment"
    CONFIRMED = "confirmed", "confirmed"
    PICKING = "picking", "picking"
    PACKED = "packed", "packed"
    OUT_FOR_DELIVERY = "out_for_delivery", "out for delivery"
    DELIVERED = "delivered", "delivered"
    CANCELLED = "cancelled", "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded", "partially refunded"
    REFUNDED = "refunded", "refunded"


class ActorKind(models.TextChoices):
    CUSTOMER = "customer", "customer"
    STAFF = "staff", "staff"
    PAYMENT = "payment", "payment"
    DELIVERY = "delivery", "delivery"
    SYSTEM = "system", "system"


class Order(models.Model):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    delivery_fee = models.DecimalField(**MONEY)
    # Promotions and vouchers as placed: off the goods (the lines' discount_amount summed) and off delivery.
    discount_total = models.DecimalField(**MONEY, default=0)
    delivery_discount = models.DecimalField(**MONEY, default=0)
    final_discount_total = models.DecimalField(**MONEY, null=True, blank=True, help_text="as picked")
    total = models.DecimalField(**MONEY, help_text="as placed")
    # Weighed items are picked a little heavier or lighter: the authorization covers a margin.
    authorized_amount = models.DecimalField(**MONEY, help_text="what the payment authorization asks for")
    final_subtotal = models.DecimalField(**MONEY, null=True, blank=True, help_text="as picked")
    final_total = models.DecimalField(**MONEY, null=True, blank=True, help_text="as picked: what is captured")
    refunded_amount = models.DecimalField(**MONEY, default=0)
    # VAT as placed (docs/decisions/0052): the country and day whose rates apply, and the fee's share.
    tax_country = models.CharField(max_length=2, blank=True)
    tax_date = models.DateField(null=True, blank=True)
    delivery_tax_rate = models.DecimalField(**RATE, default=0)
    delivery_vat_amount = models.DecimalField(**MONEY, default=0)
    shipping_address = models.JSONField(help_text="the address as it was when the order was placed")
    zone = models.ForeignKey("delivery.Zone", on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey("delivery.DeliverySlot", on_delete=models.PROTECT, related_name="+")
    slot_starts_at = models.DateTimeField()
    slot_ends_at = models.DateTimeField()
    cutoff_at = models.DateTimeField(help_text="customers may cancel until then")
    warehouse_code = models.SlugField(max_length=40)
    reservation = models.ForeignKey(
        "inventory.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment = models.ForeignKey("payments.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment_gateway = models.CharField(max_length=32)
    placed_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=ActorKind.choices, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="orders_customer_recent"),
            models.Index(fields=["warehouse_code", "slot", "status"], name="orders_picking_list"),
            models.Index(fields=["status", "placed_at"], name="orders_status_placed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="orders_order_status"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(delivery_fee__gte=0)
                & Q(total__gte=0)
                & Q(refunded_amount__gte=0)
                & Q(discount_total__gte=0)
                & Q(delivery_discount__gte=0)
                & Q(delivery_discount__lte=models.F("delivery_fee"))
                & Q(authorized_amount__gte=models.F("total")),
                name="orders_order_amounts",
            ),
            models.CheckConstraint(
                condition=Q(final_total__isnull=True) | Q(final_total__lte=models.F("authorized_amount")),
                name="orders_final_within_authorized",
            ),
            models.CheckConstraint(
                condition=Q(delivery_tax_rate__gte=0)
                & Q(delivery_tax_rate__lt=100)
                & Q(delivery_vat_amount__gte=0)
                & Q(delivery_vat_amount__lte=models.F("delivery_fee")),
                name="orders_order_delivery_vat",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.number}"

    @property
    def number(self) -> str:
        """What customers and staff call the order (the id, padded so it reads as a number)."""
        return f"{self.pk:07d}" if self.pk else ""

    @property
    def ref(self) -> str:
        """How other apps (payments, delivery, events) name the order."""
        return str(self.pk)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300, help_text="product and variant name when ordered")
    unit = models.CharField(max_length=8)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.DecimalField(**QUANTITY)
    line_total = models.DecimalField(**MONEY)
    # What promotions took off line_total (VAT is computed on line_total - discount_amount).
    discount_amount = models.DecimalField(**MONEY, default=0)
    substitution = models.CharField(max_length=10, choices=Substitution.choices, default=Substitution.SIMILAR)
    substitute_variant = models.ForeignKey(
        "catalog.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the customer's chosen substitute",
    )
    # As picked: the quantity (or weight) that left, and which variant when it was substituted.
    picked_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    picked_variant = models.ForeignKey(
        "catalog.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the substitute picked instead, if any",
    )
    picked_sku = models.CharField(max_length=64, blank=True)
    picked_name = models.CharField(max_length=300, blank=True)
    picked_unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    final_line_total = models.DecimalField(**MONEY, null=True, blank=True)
    final_discount_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="as picked")
    # VAT of the line as placed, then as picked (a substitute may be of another class).
    tax_class = models.CharField(max_length=10, choices=TaxClass.choices, default=TaxClass.STANDARD)
    tax_rate = models.DecimalField(**RATE, default=0)
    vat_amount = models.DecimalField(**MONEY, default=0)
    picked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gte=0) & Q(line_total__gte=0), name="orders_line_amounts"
            ),
            models.CheckConstraint(
                condition=Q(picked_quantity__isnull=True) | Q(picked_quantity__gte=0),
                name="orders_line_picked_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0) & Q(discount_amount__lte=models.F("line_total")),
                name="orders_line_discount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(final_discount_amount__isnull=True)
                | (Q(final_discount_amount__gte=0) & Q(final_discount_amount__lte=models.F("final_line_total"))),
                name="orders_line_final_discount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100) & Q(vat_amount__gte=0),
                name="orders_line_vat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def picked(self) -> bool:
        return self.picked_quantity is not None


class OrderHistory(models.Model):
    """One row per change a customer or colleague may ask about later: status moves, picks, refunds."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "order history"

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}" if self.to_status else self.note
