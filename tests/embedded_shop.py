"""Prepare an embedded (SQLite) database for a server under test: `python -m tests.embedded_shop`
in the environment the server will run with. Prints the customers' tokens as JSON.

The tables are created from the models (`migrate --run-syncdb` with the migrations set aside, as
Django's test runner can do): the 60-odd migrations take 25-40 s on SQLite on a shared test
machine, and `tests/test_run_command.py` already proves that `make run` migrates a fresh database.
The shop's stock and the customers' checkouts are made through the services.
"""

import json
import os

import django

PLACING = 5  # customers with a checked-out cart


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)

    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Address, User
    from accounts.services import issue_token
    from catalog.models import Category, Product, Variant
    from delivery.models import DeliverySlot, PostalCodeMatch, Zone, ZonePostalCode
    from inventory.services import receive_stock, save_warehouse
    from orders.services import cart as carts
    from orders.services.checkout import start_checkout

    save_warehouse(code="embedded-store", name="Embedded store")
    category = Category.objects.create(slug="groceries", name="Groceries", path="/")
    variants = []
    for sku, price in (("MILK-1L", "1.20"), ("BREAD-750", "2.50")):
        product = Product.objects.create(name=sku.title(), slug=sku.lower(), category=category)
        variant = Variant.objects.create(product=product, sku=sku, price=Decimal(price), currency="EUR")
        receive_stock(warehouse_code="embedded-store", variant=variant, quantity=Decimal(500), reference="test")
        variants.append(variant)
    zone = Zone.objects.create(
        code="mitte",
        name="Mitte",
        time_zone="Europe/Berlin",
        currency="EUR",
        delivery_fee=Decimal("3.90"),
        minimum_order=Decimal("5.00"),
        warehouse_code="embedded-store",
    )
    ZonePostalCode.objects.create(zone=zone, country="DE", match=PostalCodeMatch.EXACT, value="10115")
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=6)
    slot = DeliverySlot.objects.create(
        zone=zone,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        cutoff_at=starts_at - timedelta(hours=1),
        capacity=50,
    )

    def customer(email: str) -> tuple[User, str]:
        user = User.objects.create_user(email, None)
        return user, issue_token(user, name="concurrency test").key

    placing = []
    for n in range(PLACING):  # carts checked out through the services, ready to place
        user, token = customer(f"placing{n}@example.com")
        address = Address.objects.create(
            user=user,
            recipient_name=f"Shopper {n}",
            line1="Invalidenstr. 1",
            city="Berlin",
            postal_code="10115",
            country="DE",
            is_default=True,
        )
        cart = carts.open_cart_of(user)
        assert cart is not None
        for variant in variants:
            carts.add_to_cart(cart, variant_id=variant.pk, quantity=3)
        start_checkout(user, address_id=address.pk, slot_id=slot.pk)
        placing.append(token)
    _, browsing = customer("browsing@example.com")  # fills a cart meanwhile
    print(json.dumps({"placing": placing, "browsing": browsing, "variants": [variant.pk for variant in variants]}))


if __name__ == "__main__":
    main()
