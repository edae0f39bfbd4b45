"""Reads of inventory shared by the admin and the staff API: stock items by their availability
and low-stock state, as database conditions so that lists filter and sort on them.

These read the counters as they are: an expired reservation still counts here until it is
released (the beat sweep does that every minute; `services.availability` releases first)."""

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DateField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models import DecimalField as DecimalOutput
from django.db.models.functions import Trunc

from inventory.models import StockItem, StockMovement


def stock_items_with_availability(items: QuerySet[StockItem] | None = None) -> QuerySet[StockItem]:
    """Annotated with `available_now` (on_hand - reserved), to sort by."""
    items = items if items is not None else StockItem.objects.all()
    return items.annotate(available_now=ExpressionWrapper(
        F("on_hand") - F("reserved"), output_field=DecimalOutput(max_digits=14, decimal_places=3)))


def low_stock(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    """Available at or below the item's threshold (out of stock included)."""
    return items.filter(on_hand__lte=F("reserved") + F("low_stock_threshold"))


def above_threshold(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    return items.filter(on_hand__gt=F("reserved") + F("low_stock_threshold"))


def out_of_stock(items: QuerySet[StockItem]) -> QuerySet[StockItem]:
    return items.filter(on_hand__lte=F("reserved"))


# --- Reads for the reports app: aggregated in the database, one row per group ----------------------

def stock_levels(*, warehouse: str = "", using: str = "default") -> Iterator[Mapping[str, Any]]:
    """On hand and reserved now, per warehouse code and SKU."""
    items = StockItem.objects.using(using)
    if warehouse:
        items = items.filter(warehouse__code=warehouse)
    return (items.values("warehouse__code", "variant__sku", "on_hand", "reserved", "created_at")
            .order_by("warehouse__code", "variant__sku").iterator(chunk_size=5000))


def on_hand_changes_by_day(since: datetime, *, time_zone: str, warehouse: str = "",
                           using: str = "default") -> Iterator[Mapping[str, Any]]:
    """The ledger's net change of on-hand stock per local day, warehouse and SKU from `since` on: with
    today's level it gives every day's closing level (stock-out days)."""
    movements = StockMovement.objects.using(using).filter(created_at__gte=since).exclude(on_hand_delta=0)
    if warehouse:
        movements = movements.filter(stock_item__warehouse__code=warehouse)
    day = Trunc("created_at", "day", output_field=DateField(), tzinfo=ZoneInfo(time_zone))
    return (movements.annotate(day=day)
            .values("day", "stock_item__warehouse__code", "stock_item__variant__sku")
            .annotate(delta=Sum("on_hand_delta"))
            .order_by("stock_item__warehouse__code", "stock_item__variant__sku", "day").iterator(chunk_size=5000))
