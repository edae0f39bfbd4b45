"""The shop bench/orders_placement.py measures in: 20 stocked variants (every fourth weighed), a
zone serving DE 10115 picked from that warehouse, slots with room for everyone, and customers with
an address and a 5-line cart written in bulk. Imported after Django is set up on the scratch
database."""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Address, User
from catalog.models import Category, Product, Variant
from delivery.models import DeliverySlot, PostalCodeMatch, Zone, ZonePostalCode
from inventory.services import receive_stock, save_warehouse
from orders.models import Cart, CartLine

WAREHOUSE = "bench-store"
VARIANTS = 20
LINES = 5
PLENTY = Decimal(1_000_000)


@dataclass
class Shopper:
    user: User
    address_id: int
    slot_id: int


def basket_of(number: int) -> list[int]:
    """The variants (indexes) in customer `number`'s cart: 5 of the 20, the same in every run."""
    return sorted(random.Random(number).sample(range(VARIANTS), LINES))


def quantity_of(variant: Variant) -> Decimal:
    return Decimal("1.5") if variant.unit == "kg" else Decimal(2)


def make_shop(slot_count: int, capacity: int) -> tuple[list[Variant], list[DeliverySlot]]:
    save_warehouse(code=WAREHOUSE, name="Bench store")
    category = Category.objects.create(slug="bench", name="Bench", path="/")
    variants = []
    for n in range(VARIANTS):
        weighed = n % 4 == 3
        product = Product.objects.create(name=f"Bench item {n}", slug=f"bench-item-{n}", category=category)
        variant = Variant.objects.create(
            product=product,
            sku=f"BENCH-{n}",
            name="loose" if weighed else "1 pc",
            currency="EUR",
            price=Decimal("0.99") + Decimal(n) / 5,
            unit="kg" if weighed else "piece",
            step=Decimal("0.1") if weighed else Decimal(1),
        )
        receive_stock(warehouse_code=WAREHOUSE, variant=variant, quantity=PLENTY, reference="bench")
        variants.append(variant)
    zone = Zone.objects.create(
        code="bench",
        name="Bench zone",
        time_zone="Europe/Berlin",
        currency="EUR",
        delivery_fee=Decimal("3.90"),
        free_delivery_threshold=Decimal("50.00"),
        minimum_order=Decimal("10.00"),
        warehouse_code=WAREHOUSE,
    )
    ZonePostalCode.objects.create(zone=zone, country="DE", match=PostalCodeMatch.EXACT, value="10115")
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=6)
    slots = [
        DeliverySlot.objects.create(
            zone=zone,
            starts_at=first + timedelta(hours=k),
            ends_at=first + timedelta(hours=k + 1),
            cutoff_at=first + timedelta(hours=k - 1),
            capacity=capacity,
        )
        for k in range(slot_count)
    ]
    return variants, slots


def make_customers(prefix: str, count: int, variants: list[Variant], slots: list[DeliverySlot]) -> list[Shopper]:
    """Customers with a default address in 10115 and an open 5-line cart, in bulk (the carts are
    the same rows add_to_cart writes; what is measured starts at the checkout)."""
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{n}@bench.example.com", password=make_password(None)) for n in range(count)]
    )
    addresses = Address.objects.bulk_create(
        [
            Address(
                user=user,
                recipient_name=f"Bench Shopper {n}",
                line1="Invalidenstr. 1",
                city="Berlin",
                postal_code="10115",
                country="DE",
                is_default=True,
            )
            for n, user in enumerate(users)
        ]
    )
    carts = Cart.objects.bulk_create([Cart(customer=user) for user in users])
    CartLine.objects.bulk_create(
        [
            CartLine(cart=cart, variant=variants[v], quantity=quantity_of(variants[v]), price_seen=variants[v].price)
            for n, cart in enumerate(carts)
            for v in basket_of(n)
        ]
    )
    return [
        Shopper(user, address.pk, slots[n % len(slots)].pk)
        for n, (user, address) in enumerate(zip(users, addresses, strict=True))
    ]
