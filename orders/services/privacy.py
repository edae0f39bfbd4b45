"""Forgetting a customer whose account was erased (`user.deleted`): the orders stay for finance
with their lines and amounts, but their shipping addresses keep only what the books need (postal
code, city, region, country), and carts that never became orders are deleted."""

from django.db import transaction

from orders.models import ActorKind, Cart, Order

# What stays of a shipping address on an erased customer's orders (place of supply for taxes).
KEPT_ADDRESS_FIELDS = ("postal_code", "city", "region", "country")


def anonymised_address(address: dict[str, str]) -> dict[str, str]:
    return {name: (value if name in KEPT_ADDRESS_FIELDS else "") for name, value in address.items()}


def forget_customer(customer_id: int) -> int:
    """Anonymise the customer's orders and delete their carts; returns the orders changed.
    Idempotent: a second run finds nothing personal left."""
    with transaction.atomic():
        orders = list(Order.objects.select_for_update().filter(customer_id=customer_id).order_by("pk"))
        changed = 0
        for order in orders:
            address = anonymised_address(order.shipping_address or {})
            reason = "" if order.cancelled_by == ActorKind.CUSTOMER else order.cancel_reason  # their own words
            if address != order.shipping_address or reason != order.cancel_reason:
                order.shipping_address, order.cancel_reason = address, reason
                order.save(update_fields=["shipping_address", "cancel_reason"])
                changed += 1
        Cart.objects.filter(customer_id=customer_id, order__isnull=True).delete()
    return changed
