"""Building blocks for the inventory tests: catalog variants, stocked items, and the checks every
test ends with (the ledger adds up, nothing is negative)."""

import itertools
from decimal import Decimal

from django.db import connection

from catalog.models import Category, Product, Variant
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from inventory.models import StockItem, Warehouse
from inventory.selectors import find_ledger_drift
from inventory.services import receive_stock, save_warehouse
from inventory.services.import_events import adjusted_items

_numbers = itertools.count(1)


def make_variant(sku: str | None = None, *, unit: str = "piece", step: str = "1", active: bool = True) -> Variant:
    n = next(_numbers)
    category, _ = Category.objects.get_or_create(
        slug="inventory-tests", defaults={"name": "Inventory tests", "path": "/"}
    )
    product = Product.objects.create(
        name=f"Product {n}", slug=f"inventory-product-{n}-{sku or n}".lower(), category=category
    )
    return Variant.objects.create(
        product=product,
        sku=sku or f"SKU-{n}",
        name=f"variant {n}",
        price=Decimal("1.99"),
        currency="EUR",
        unit=unit,
        step=Decimal(step),
        is_active=active,
    )


def make_warehouse(code: str = "berlin-1", name: str = "Berlin Mitte") -> Warehouse:
    existing = Warehouse.objects.filter(code=code).first()
    return existing or save_warehouse(code=code, name=name)


def stocked(variant: Variant, quantity: str, warehouse: str = "berlin-1") -> StockItem:
    """The variant's stock item in the warehouse after receiving `quantity` through the service."""
    make_warehouse(warehouse)
    item, _ = receive_stock(warehouse_code=warehouse, variant=variant, quantity=Decimal(quantity), reference="test")
    return StockItem.objects.get(pk=item.id)


def levels(item: StockItem) -> tuple[Decimal, Decimal]:
    item.refresh_from_db()
    return item.on_hand, item.reserved


def assert_ledger_matches() -> None:
    assert find_ledger_drift() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM inventory_stockitem WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand"
        )
        assert cursor.fetchone()[0] == 0


def events_of(event_type: str) -> list:  # type: ignore[type-arg]
    """The payloads of the outbox events of this type, oldest first; for inventory.adjusted also
    the items of the inventory.adjusted_batch events (stock imports), as the payloads they stand for."""
    types = [event_type, "inventory.adjusted_batch"] if event_type == "inventory.adjusted" else [event_type]
    payloads = []
    for row in OutboxEvent.objects.filter(event_type__in=types).order_by("id"):
        payload = unpack_envelope(bytes(row.payload))[1]
        payloads.extend(adjusted_items(payload) if row.event_type != event_type else [payload])
    return payloads


def on_hand(sku: str, warehouse: str = "berlin-1") -> Decimal | None:
    return (
        StockItem.objects.filter(variant__sku=sku, warehouse__code=warehouse).values_list("on_hand", flat=True).first()
    )
