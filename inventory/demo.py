"""Demo data of inventory: a dark store stocked with the demo catalog's variants, through the
services (so the ledger and events are there too). Safe to run again: variants already stocked
there are left alone."""

from decimal import Decimal

from catalog import selectors as catalog
from catalog.units import Unit
from inventory.models import StockItem, Warehouse
from inventory.services import receive_stock, save_warehouse, set_low_stock_threshold

DEMO_WAREHOUSE = "demo-store"
# What arrives of each variant: pieces count, weights in kg and volumes in litres.
OPENING_STOCK = {Unit.PIECE: Decimal("40"), Unit.KILOGRAM: Decimal("25.000"), Unit.LITRE: Decimal("30.000")}
THRESHOLD = {Unit.PIECE: Decimal("5"), Unit.KILOGRAM: Decimal("3.000"), Unit.LITRE: Decimal("4.000")}


def load() -> list[str]:
    variants = catalog.variants_sold_now()
    if not variants:
        return ["No catalog variants yet, so no stock was created (load the catalog's demo data first)."]
    warehouse = Warehouse.objects.filter(code=DEMO_WAREHOUSE).first()
    if warehouse is None:
        warehouse = save_warehouse(code=DEMO_WAREHOUSE, name="Demo dark store")
    stocked = set(StockItem.objects.filter(warehouse=warehouse).values_list("variant_id", flat=True))
    added = 0
    for variant in variants:
        if variant.pk in stocked:
            continue
        item, after = receive_stock(
            warehouse_code=DEMO_WAREHOUSE,
            variant=variant,
            quantity=OPENING_STOCK[Unit(variant.unit)],
            reference="demo opening stock",
        )
        set_low_stock_threshold(item.id, THRESHOLD[Unit(variant.unit)], version=after.version)
        added += 1
    return [f"Warehouse {DEMO_WAREHOUSE}: {added} variant(s) stocked now, {len(stocked)} already were."]
