"""Demo data of orders: a purchase limit on a promoted item, and one order of the demo customer,
placed through the services like any customer's (cart, checkout holding a slot and reserving the
stock, placement paid cash on delivery), so the admin and the customer's API have an order to show.

Runs after the apps it builds on (accounts, catalog, inventory, delivery, payments: load_demo_data
follows INSTALLED_APPS). Safe to load again: the limit is matched by its item, and an order is
placed only while the demo customer has none. A customer's cart that already holds items is left
alone (no order is placed then)."""

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.demo import DEMO_CUSTOMER_EMAIL
from accounts.selectors import addresses_of, user_by_email
from catalog.selectors import variants_by_sku
from core.errors import DomainError
from delivery.selectors import resolve_zone, unavailable_reason, upcoming_slots
from orders.models import Order, PurchaseLimit
from orders.services import cart as carts
from orders.services import checkout, placement

if TYPE_CHECKING:
    from accounts.models import Address, User
    from delivery.models import DeliverySlot, Zone

LIMITED_SKU = "FRU-STR-500"
LIMIT = Decimal("6")
LIMIT_NOTE = "promoted this week: enough for everyone"
# SKU and quantity (kg for the weighed bananas): 18.62 EUR, above Berlin Mitte's 15.00 minimum.
BASKET = (("BAK-SOU-750", "1"), ("DAI-MLK-1L", "4"), ("FRU-STR-500", "2"), ("FRU-BAN-KG", "1.2"))
ADDRESS = {
    "label": "Home",
    "recipient_name": "Dana Demo",
    "line1": "Invalidenstraße 116",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "phone": "+49 151 23456789",
}
GATEWAY, PAYMENT_METHOD = "cash_on_delivery", "cash"
# Checkout and placement take a moment; a slot closing sooner than this is not offered.
CUTOFF_MARGIN = timedelta(minutes=10)


def load() -> list[str]:
    lines = [_purchase_limit()]
    customer = user_by_email(DEMO_CUSTOMER_EMAIL)
    if customer is None:
        return [*lines, "No demo customer, so no demo order (load the accounts demo data first)."]
    existing = Order.objects.filter(customer=customer).order_by("pk").first()
    if existing is not None:
        return [
            *lines,
            f"Order {existing.number} of {customer.email} is there already ({existing.get_status_display()}).",
        ]
    try:
        with transaction.atomic():  # a refusal on the way leaves nothing of the order behind
            lines.append(_place_demo_order(customer))
    except DomainError as refused:
        lines.append(f"No demo order for {customer.email}: {refused.message}")
    return lines


def _purchase_limit() -> str:
    variant = variants_by_sku([LIMITED_SKU]).get(LIMITED_SKU)
    if variant is None:
        return f"No purchase limit: the catalog has no {LIMITED_SKU} (load the catalog's demo data first)."
    limit, _ = PurchaseLimit.objects.get_or_create(
        variant=variant, defaults={"max_quantity": LIMIT, "note": LIMIT_NOTE}
    )
    return (
        f"Purchase limit: at most {limit.max_quantity.normalize():f} of {variant.sku} "
        f"({variant.product.name}, {variant.name}) per order"
    )


def _orderable_address(customer: "User") -> tuple["Address", "Zone"]:
    """One of the customer's addresses in a zone that takes orders, else a new one in DE 10115."""
    for address in addresses_of(customer):
        try:
            zone = resolve_zone(address.country, address.postal_code).zone
        except DomainError:
            continue
        if zone.warehouse_code:
            return address, zone
    address = accounts.create_address(customer.pk, dict(ADDRESS))
    return address, resolve_zone(address.country, address.postal_code).zone


def _slot(zone: "Zone") -> "DeliverySlot | None":
    """The zone's first upcoming slot that still takes orders for a while."""
    now = timezone.now()
    upcoming = upcoming_slots(zone, now=now, days=settings.DELIVERY_SLOTS_DAYS_AHEAD)
    for slot in upcoming.filter(cutoff_at__gt=now + CUTOFF_MARGIN):
        if unavailable_reason(slot, now) is None:
            return slot
    return None


def _place_demo_order(customer: "User") -> str:
    variants = variants_by_sku(sku for sku, _ in BASKET)
    missing = [sku for sku, _ in BASKET if sku not in variants]
    if missing:
        return f"No demo order: the catalog lacks {', '.join(missing)} (load the catalog's demo data first)."
    cart = carts.open_cart_of(customer)
    assert cart is not None
    if cart.lines.exists():
        return f"No demo order: the cart of {customer.email} holds items already, left as they are."
    address, zone = _orderable_address(customer)
    slot = _slot(zone)
    if slot is None:
        return f"No demo order: {zone.name} has no open slot in the next {settings.DELIVERY_SLOTS_DAYS_AHEAD} days."
    for sku, quantity in BASKET:
        carts.add_to_cart(cart, variant_id=variants[sku].pk, quantity=quantity)
    started = checkout.start_checkout(customer, address_id=address.pk, slot_id=slot.pk)
    order = placement.place_order(
        customer, payment_gateway=GATEWAY, payment_method=PAYMENT_METHOD, expected_total=started.priced.summary.total
    )
    starts = slot.starts_at.astimezone(ZoneInfo(zone.time_zone))
    ends = slot.ends_at.astimezone(ZoneInfo(zone.time_zone))
    return (
        f"Order {order.number} of {customer.email}: {len(BASKET)} items (bananas by weight), "
        f"{order.subtotal} + {order.delivery_fee} delivery = {order.total} {order.currency}, "
        f"{zone.name} {starts:%a %d %b %H:%M}-{ends:%H:%M}, from {order.warehouse_code}, cash on delivery "
        f"({order.get_status_display()}; confirmed once the payment worker has authorized it)"
    )
