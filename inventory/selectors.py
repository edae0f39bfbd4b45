"""Reads of inventory shared by the admin and the staff API: stock items by their availability
and low-stock state, as database conditions so that lists filter and sort on them.

These read the counters as they are: an expired reservation still counts here until it is
released (the beat sweep does that every minute; `services.availability` releases first)."""

from datetime import datetime

from django.db.models import DecimalField as DecimalOutput
from django.db.models import ExpressionWrapper, F, QuerySet

from inventory.models import Reservation, ReservationState, StockItem


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


def reservation_is_live(reservation: Reservation, now: datetime) -> bool:
    """Whether the reservation still holds its stock: active and not expired."""
    return reservation.state == ReservationState.ACTIVE and reservation.expires_at > now
