"""How much of a variant can be promised now: on-hand minus unexpired reservations.

Reading releases the expired reservations of the items read first (a write, in short transactions
of their own), so an expired reservation stops counting the moment anyone looks.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from inventory.models import StockItem
from inventory.selectors import warehouse_by_code
from inventory.services import levels
from inventory.services.reservation_ends import release_expired_reservations


@dataclass(frozen=True)
class WarehouseStock:
    variant_id: int
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Availability:
    """A variant's stock in one warehouse, or summed over the active warehouses."""

    variant_id: int
    warehouse_code: str | None
    on_hand: Decimal
    reserved: Decimal
    warehouses: tuple[WarehouseStock, ...]

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def stock_by_warehouse(variant_ids: Iterable[int], warehouse_code: str | None = None) -> list[WarehouseStock]:
    """The variants' stock items (in active warehouses, or in the named one), expired
    reservations released first."""
    items = StockItem.objects.filter(variant_id__in=list(variant_ids))
    if warehouse_code is not None:
        items = items.filter(warehouse=warehouse_by_code(warehouse_code))
    else:
        items = items.filter(warehouse__is_active=True)
    found = list(items.order_by("variant_id", "warehouse__code").values_list("pk", "variant_id", "warehouse__code"))
    if not found:
        return []
    ids = [pk for pk, _, _ in found]
    release_expired_reservations(item_ids=ids)
    now = levels.current_levels(ids)
    return [
        WarehouseStock(variant_id=variant_id, warehouse_code=code, on_hand=now[pk].on_hand, reserved=now[pk].reserved)
        for pk, variant_id, code in found
        if pk in now
    ]


def availability(variant_ids: Iterable[int], warehouse_code: str | None = None) -> dict[int, Availability]:
    """Per variant: what can be reserved now (0 for variants with no stock there)."""
    wanted = list(dict.fromkeys(variant_ids))
    per_variant: dict[int, list[WarehouseStock]] = {variant_id: [] for variant_id in wanted}
    for stock in stock_by_warehouse(wanted, warehouse_code):
        per_variant[stock.variant_id].append(stock)
    return {
        variant_id: Availability(
            variant_id=variant_id,
            warehouse_code=warehouse_code,
            on_hand=sum((s.on_hand for s in stocks), levels.ZERO),
            reserved=sum((s.reserved for s in stocks), levels.ZERO),
            warehouses=tuple(stocks),
        )
        for variant_id, stocks in per_variant.items()
    }
