"""Carts: one open cart per customer (or per anonymous visitor, by its token), its lines, and the
checkout it carries (address, zone, the slot hold and the stock reservation) until it is ordered."""

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

QUANTITY: dict[str, Any] = {"max_digits": 12, "decimal_places": 3}
MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class CartState(models.TextChoices):
    OPEN = "open", "open"
    ORDERED = "ordered", "ordered"
    MERGED = "merged", "merged into the customer's cart at sign-in"


class Substitution(models.TextChoices):
    """What the picker may do when an item is out of stock."""

    NONE = "none", "no substitute"
    SIMILAR = "similar", "any similar item"
    CHOSEN = "chosen", "the chosen item"


class Cart(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    # Anonymous visitors name their cart by this token (X-Cart-Token); it is merged at sign-in.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=CartState.choices, default=CartState.OPEN)
    # The checkout in progress: where to, when (a held place in a slot) and the reserved stock.
    address = models.ForeignKey("accounts.Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    zone = models.ForeignKey("delivery.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    slot_hold = models.ForeignKey(
        "delivery.SlotHold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reservation = models.ForeignKey(
        "inventory.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The voucher code the customer entered (promotions says whether and why not it applies).
    voucher_code = models.CharField(max_length=32, blank=True, default="")
    # The cart's version the checkout priced and reserved; placing needs the cart unchanged since.
    checkout_version = models.PositiveIntegerField(null=True, blank=True)
    order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="cart")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(state="open"), name="orders_one_open_cart_per_customer"
            ),
            models.CheckConstraint(condition=Q(state__in=CartState.values), name="orders_cart_state"),
        ]

    def __str__(self) -> str:
        return f"cart {self.pk} ({self.state})"

    @property
    def owner_ref(self) -> str:
        """How inventory and delivery name this cart as the owner of a reservation or hold."""
        return str(self.pk)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    substitution = models.CharField(max_length=10, choices=Substitution.choices, default=Substitution.SIMILAR)
    substitute_variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The unit price the customer last saw, to tell them when the catalog price changed since.
    price_seen = models.DecimalField(**MONEY)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="orders_cart_line_variant_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_cart_line_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(substitution="chosen") | Q(substitute_variant__isnull=False),
                name="orders_cart_line_chosen_has_variant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class PurchaseLimit(models.Model):
    """The most one customer may order of a variant in one order (scarce or promoted items)."""

    variant = models.OneToOneField("catalog.Variant", on_delete=models.CASCADE, related_name="purchase_limit")
    max_quantity = models.DecimalField(**QUANTITY)
    note = models.CharField(max_length=200, blank=True, help_text="why, for colleagues")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(max_quantity__gt=Decimal("0")), name="orders_purchase_limit_positive")
        ]

    def __str__(self) -> str:
        return f"at most {self.max_quantity} of {self.variant_id}"
