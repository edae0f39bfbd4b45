"""Reads of inventory: warehouses and the variants they stock by the names people use, stock
items by their availability and low-stock state (as database conditions, so that lists filter and
sort on them), and the check that the ledger adds up to the levels.

These read the counters as they are: an expired reservation still counts here until it is
released (the beat sweep does that every minute; `services.availability` releases first)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import DateField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models import DecimalField as DecimalOutput
from django.db.models.functions import Trunc

from catalog import selectors as catalog
from core.quantities import as_quantity
from inventory.errors import VariantNotFound, WarehouseNotFound
from inventory.models import ImportBatch, Reservation, ReservationState, StockItem, StockMovement, Warehouse

if TYPE_CHECKING:
    from catalog.models import Variant

logger = logging.getLogger(__name__)


def warehouse_by_code(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=str(code).strip()).first()
    if warehouse is None:
        raise WarehouseNotFound(f"There is no warehouse {code!r}.", fields={"warehouse": ["No such warehouse."]})
    return warehouse


def variant_by(*, variant_id: int | None = None, sku: str | None = None) -> Variant:
    """The variant (active or not) named by id, or else by SKU; VariantNotFound otherwise."""
    variant = None
    if variant_id is not None:
        variant = catalog.variant_by_id(variant_id)
    elif sku:
        variant = catalog.variant_by_sku(sku.strip())
    if variant is None:
        raise VariantNotFound(
            f"There is no variant {variant_id if variant_id is not None else sku!r}.",
            fields={"variant" if variant_id is not None else "sku": ["No such variant."]},
        )
    return variant


def stock_item_with_refs(stock_item_id: int) -> StockItem:
    """The stock item with its warehouse and variant, in one query."""
    return StockItem.objects.select_related("warehouse", "variant").get(pk=stock_item_id)


def stock_item_id_of(warehouse: Warehouse, variant: Variant) -> int | None:
    """The id of the warehouse's stock item of the variant; None while it has never held any."""
    return StockItem.objects.filter(warehouse=warehouse, variant=variant).values_list("pk", flat=True).first()


def stock_items_with_availability(items: QuerySet[StockItem] | None = None) -> QuerySet[StockItem]:
    """Annotated with `available_now` (on_hand - reserved), to sort by."""
    items = items if items is not None else StockItem.objects.all()
    return items.annotate(
        available_now=ExpressionWrapper(
            F("on_hand") - F("reserved"), output_field=DecimalOutput(max_digits=14, decimal_places=3)
        )
    )


def low_stock(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    """Available at or below the item's threshold (out of stock included)."""
    return items.filter(on_hand__lte=F("reserved") + F("low_stock_threshold"))


def above_threshold(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    return items.filter(on_hand__gt=F("reserved") + F("low_stock_threshold"))


def out_of_stock(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    return items.filter(on_hand__lte=F("reserved"))


def reservation_is_live(reservation: Reservation, now: datetime) -> bool:
    """Whether the reservation still holds its stock: active and not expired."""
    return reservation.state == ReservationState.ACTIVE and reservation.expires_at > now


# --- the ledger's promise, checked ---------------------------------------------------------------
#
# For every stock item the movements add up to its counters. A drift means something changed a
# counter without writing the ledger (a hand-made UPDATE, a bug, a restored backup of one table).
# The check is one statement, so it reads one consistent snapshot even while stock moves.

# One aggregate over the levels and the movements side by side: a single pass over each table,
# linear whatever the planner believes about their sizes (a join against a grouped subquery can
# turn into a nested loop when statistics are stale, e.g. right after a big import).
_DRIFT = """
SELECT stock_item_id, SUM(on_hand), SUM(ledger_on_hand), SUM(reserved), SUM(ledger_reserved)
FROM (
    SELECT id AS stock_item_id, on_hand, 0 AS ledger_on_hand, reserved, 0 AS ledger_reserved
    FROM inventory_stockitem {items_where}
    UNION ALL
    SELECT stock_item_id, 0, on_hand_delta, 0, reserved_delta
    FROM inventory_stockmovement {movements_where}
) AS side_by_side
GROUP BY stock_item_id
HAVING SUM(on_hand) <> SUM(ledger_on_hand) OR SUM(reserved) <> SUM(ledger_reserved)
ORDER BY stock_item_id
"""


@dataclass(frozen=True)
class Drift:
    stock_item_id: int
    warehouse_code: str
    sku: str
    on_hand: Decimal
    ledger_on_hand: Decimal
    reserved: Decimal
    ledger_reserved: Decimal

    def describe(self) -> str:
        return (
            f"stock item {self.stock_item_id} ({self.sku} at {self.warehouse_code}): on_hand {self.on_hand} but "
            f"ledger {self.ledger_on_hand}; reserved {self.reserved} but ledger {self.ledger_reserved}"
        )


def find_ledger_drift(warehouse_code: str | None = None) -> list[Drift]:
    """Every stock item whose counters differ from the sums of its movements; logs each one."""
    with connection.cursor() as cursor:
        if warehouse_code:
            items_of = (
                "(SELECT s.id FROM inventory_stockitem s JOIN inventory_warehouse w ON w.id = s.warehouse_id "
                "WHERE w.code = %s)"
            )
            cursor.execute(
                _DRIFT.format(
                    items_where=f"WHERE id IN {items_of}", movements_where=f"WHERE stock_item_id IN {items_of}"
                ),
                [warehouse_code, warehouse_code],
            )
        else:
            cursor.execute(_DRIFT.format(items_where="", movements_where=""))
        rows = cursor.fetchall()
    labels = {
        pk: (code, sku)
        for pk, code, sku in StockItem.objects.filter(pk__in=[row[0] for row in rows]).values_list(
            "pk", "warehouse__code", "variant__sku"
        )
    }
    drifts = [
        Drift(
            stock_item_id=row[0],
            warehouse_code=labels[row[0]][0],
            sku=labels[row[0]][1],
            on_hand=as_quantity(row[1]),
            ledger_on_hand=as_quantity(row[2]),
            reserved=as_quantity(row[3]),
            ledger_reserved=as_quantity(row[4]),
        )
        for row in rows
    ]
    for drift in drifts:
        logger.error("inventory: ledger drift: %s", drift.describe())
    if not drifts:
        logger.info("inventory: the stock ledger matches every stock level")
    return drifts


# --- Reads for the reports app: aggregated in the database, one row per group ----------------------


def stock_levels(*, warehouse: str = "", using: str = "default") -> Iterator[Mapping[str, Any]]:
    """On hand and reserved now, per warehouse code and SKU."""
    items = StockItem.objects.using(using)
    if warehouse:
        items = items.filter(warehouse__code=warehouse)
    return (
        items.values("warehouse__code", "variant__sku", "on_hand", "reserved", "created_at")
        .order_by("warehouse__code", "variant__sku")
        .iterator(chunk_size=5000)
    )


def on_hand_changes_by_day(
    since: datetime, *, time_zone: str, warehouse: str = "", using: str = "default"
) -> Iterator[Mapping[str, Any]]:
    """The ledger's net change of on-hand stock per local day, warehouse and SKU from `since` on: with
    today's level it gives every day's closing level (stock-out days)."""
    movements = StockMovement.objects.using(using).filter(created_at__gte=since).exclude(on_hand_delta=0)
    if warehouse:
        movements = movements.filter(stock_item__warehouse__code=warehouse)
    day = Trunc("created_at", "day", output_field=DateField(), tzinfo=ZoneInfo(time_zone))
    return (
        movements.annotate(day=day)
        .values("day", "stock_item__warehouse__code", "stock_item__variant__sku")
        .annotate(delta=Sum("on_hand_delta"))
        .order_by("stock_item__warehouse__code", "stock_item__variant__sku", "day")
        .iterator(chunk_size=5000)
    )


# --- the back office's dashboard and work queue -------------------------------------------------


def reservations_expiring(before: datetime) -> QuerySet[Reservation]:
    """Active reservations that lapse by `before` (those already past it included: the sweep
    has not released them yet), soonest first."""
    return (
        Reservation.objects.select_related("warehouse")
        .filter(state=ReservationState.ACTIVE, expires_at__lte=before)
        .order_by("expires_at", "id")
    )


def reservation_for_staff(reservation_id: int) -> Reservation | None:
    return Reservation.objects.select_related("warehouse").filter(pk=reservation_id).first()


def recent_imports(limit: int = 5) -> list[ImportBatch]:
    return list(ImportBatch.objects.order_by("-id")[:limit])
