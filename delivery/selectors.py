"""Reads of the delivery app used by more than one caller: zone resolution, slot availability, fees."""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from delivery.errors import InvalidPostalCode, PostalCodeNotServed, ShipmentNotFound
from delivery.models import (
    DeliverySlot,
    DispatchNotification,
    HistoryKind,
    HoldState,
    PostalCodeMatch,
    Shipment,
    ShipmentHistory,
    ShipmentStatus,
    SlotHold,
    Zone,
    ZonePostalCode,
)

_SEPARATORS = re.compile(r"[\s\-]+")
_POSTAL_CODE = re.compile(r"^[A-Z0-9]{2,12}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def normalize_country(country: str) -> str:
    value = (country or "").strip().upper()
    if not _COUNTRY.match(value):
        raise InvalidPostalCode(
            f"{country!r} is not a two-letter country code such as DE",
            fields={"country": ["Use a two-letter ISO country code such as DE."]},
        )
    return value


def normalize_postal_code(postal_code: str) -> str:
    """Upper case without spaces or hyphens, so "sw1a 1aa" and "SW1A1AA" are the same code."""
    value = _SEPARATORS.sub("", (postal_code or "").upper())
    if not _POSTAL_CODE.match(value):
        raise InvalidPostalCode(
            f"{postal_code!r} is not a postal code", fields={"postal_code": ["Use 2 to 12 letters and digits."]}
        )
    return value


@dataclass(frozen=True)
class ZoneResolution:
    zone: Zone
    country: str
    postal_code: str
    match: str  # PostalCodeMatch
    matched_value: str

    @property
    def reason(self) -> str:
        how = (
            "is listed as an exact postal code"
            if self.match == PostalCodeMatch.EXACT
            else f"starts with the prefix {self.matched_value}"
        )
        return f"{self.country} {self.postal_code} {how} of zone {self.zone.name}"


def resolve_zone(country: str, postal_code: str) -> ZoneResolution:
    """The one active zone serving an address: an exact code wins, then the longest prefix.

    Takes (country, postal code) rather than an address so that any address model can use it.
    """
    country, code = normalize_country(country), normalize_postal_code(postal_code)
    prefixes = [code[:n] for n in range(1, len(code) + 1)]
    candidates = (
        ZonePostalCode.objects.select_related("zone")
        .filter(country=country, zone__is_active=True)
        .filter(Q(match=PostalCodeMatch.EXACT, value=code) | Q(match=PostalCodeMatch.PREFIX, value__in=prefixes))
    )
    # Exact first, then the longest prefix; the unique (country, match, value) makes this total.
    best = min(candidates, key=lambda c: (c.match != PostalCodeMatch.EXACT, -len(c.value)), default=None)
    if best is None:
        raise PostalCodeNotServed(f"We do not deliver to {country} {code} yet.")
    return ZoneResolution(zone=best.zone, country=country, postal_code=code, match=best.match, matched_value=best.value)


def local_day_bounds(zone: Zone, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone.time_zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def upcoming_slots(zone: Zone, *, now: datetime, days: int, day: date | None = None) -> QuerySet[DeliverySlot]:
    """Slots of the zone that have not started, within `days` local days from today (or on `day`)."""
    if day is not None:
        start, end = local_day_bounds(zone, day)
    else:
        today = now.astimezone(ZoneInfo(zone.time_zone)).date()
        start, _ = local_day_bounds(zone, today)
        _, end = local_day_bounds(zone, today + timedelta(days=max(days, 1) - 1))
    return (
        DeliverySlot.objects.filter(zone=zone, starts_at__gt=now)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class SlotAvailability:
    slot: DeliverySlot
    remaining: int
    fee: Decimal
    currency: str
    unavailable_reason: str | None  # a stable error code, None when a place can be held

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None


UNAVAILABLE_MESSAGES = {
    "slot_closed": "This slot is closed.",
    "slot_past_cutoff": "Orders for this slot closed at its cut-off.",
    "slot_full": "This slot is fully booked.",
}


def unavailable_reason(slot: DeliverySlot, now: datetime) -> str | None:
    """Why no place can be taken in the slot now; the same conditions as the conditional UPDATE."""
    if slot.closed:
        return "slot_closed"
    if slot.cutoff_at <= now:
        return "slot_past_cutoff"
    if slot.reserved >= slot.capacity:
        return "slot_full"
    return None


def delivery_fee(zone: Zone, slot: DeliverySlot, subtotal: Decimal | None = None) -> Decimal:
    """The fee for delivering an order of `subtotal` in the slot.

    Free delivery waives the zone's fee, not a peak window's premium: the premium prices the window.
    """
    base = zone.delivery_fee
    if subtotal is not None and zone.free_delivery_threshold is not None and subtotal >= zone.free_delivery_threshold:
        base = Decimal("0.00")
    return base + slot.fee_premium


def slot_availability(
    zone: Zone, slots: list[DeliverySlot], *, now: datetime, subtotal: Decimal | None = None
) -> list[SlotAvailability]:
    return [
        SlotAvailability(
            slot=slot,
            remaining=slot.remaining,
            fee=delivery_fee(zone, slot, subtotal),
            currency=zone.currency,
            unavailable_reason=unavailable_reason(slot, now),
        )
        for slot in slots
    ]


def slots_with_expired_holds(slot_ids: list[int], now: datetime) -> list[int]:
    return sorted(
        set(
            SlotHold.objects.filter(slot_id__in=slot_ids, state=HoldState.ACTIVE, expires_at__lte=now).values_list(
                "slot_id", flat=True
            )
        )
    )


def slots_with_fill(queryset: QuerySet[DeliverySlot]) -> QuerySet[DeliverySlot]:
    """Annotates `booked` (places booked for orders) next to `reserved` (holds and bookings)."""
    return queryset.annotate(booked=Count("holds", filter=Q(holds__state=HoldState.BOOKED)))


def fill_rate(slot: DeliverySlot) -> float:
    return slot.reserved / slot.capacity if slot.capacity else 1.0


def shipment_for_customer(order_ref: str, customer_ref: str) -> Shipment:
    """The shipment of an order, only for the customer who placed it (others learn nothing)."""
    shipment = (
        Shipment.objects.select_related("slot", "zone", "courier")
        .filter(order_ref=order_ref, customer_ref=customer_ref)
        .first()
    )
    if shipment is None or not customer_ref:
        raise ShipmentNotFound("No shipment of yours has this order reference.")
    return shipment


def status_history(shipment: Shipment) -> QuerySet[ShipmentHistory]:
    return shipment.history.filter(kind=HistoryKind.STATUS).order_by("at", "id")


# --- For orders: its checkout's held place and its order's shipment ---------------------------


def slot_of_zone(zone: Zone, slot_id: int) -> DeliverySlot | None:
    """The zone's slot with this id; None when there is none (or it is another zone's)."""
    return DeliverySlot.objects.filter(pk=slot_id, zone=zone).first()


def hold_by_id(hold_id: int) -> SlotHold | None:
    return SlotHold.objects.filter(pk=hold_id).first()


def hold_is_live(hold: SlotHold, now: datetime) -> bool:
    """Whether the hold still keeps its place: active and not expired."""
    return hold.state == HoldState.ACTIVE and hold.expires_at > now


def active_hold_ids(customer_id: int) -> list[int]:
    """The customer's active holds (at most one), expired or not."""
    return list(SlotHold.objects.filter(customer_id=customer_id, state=HoldState.ACTIVE).values_list("pk", flat=True))


def hold_is_active(hold_id: int) -> bool:
    """Whether the hold is still active (not booked, released or expired by the sweep)."""
    return SlotHold.objects.filter(pk=hold_id, state=HoldState.ACTIVE).exists()


def status_steps(shipment: Shipment) -> QuerySet[ShipmentHistory]:
    """The shipment's status changes, oldest first."""
    return ShipmentHistory.objects.filter(shipment=shipment, kind=HistoryKind.STATUS).order_by("at", "id")


def shipment_with_history(order_ref: str) -> Shipment | None:
    """The order's shipment with its slot, zone, courier and every history step (tracking)."""
    steps = Prefetch("history", ShipmentHistory.objects.order_by("at", "id"))
    return (
        Shipment.objects.select_related("slot__zone", "courier")
        .prefetch_related(steps)
        .filter(order_ref=order_ref)
        .first()
    )


# --- Reads for the reports app: aggregated in the database, one row per group ----------------------


def slot_capacity_by_hour(
    start: datetime, end: datetime, *, time_zone: str, zone: str = "", using: str = "default"
) -> Iterator[Mapping[str, Any]]:
    """Slots starting in [start, end) per zone code, local ISO weekday and hour: slots and capacity."""
    slots = DeliverySlot.objects.using(using).filter(starts_at__gte=start, starts_at__lt=end)
    if zone:
        slots = slots.filter(zone__code=zone)
    tz = ZoneInfo(time_zone)
    return (
        slots.annotate(weekday=ExtractIsoWeekDay("starts_at", tzinfo=tz), hour=ExtractHour("starts_at", tzinfo=tz))
        .values("zone__code", "weekday", "hour")
        .annotate(slots=Count("id"), capacity=Sum("capacity"))
        .order_by("zone__code", "weekday", "hour")
        .iterator(chunk_size=2000)
    )


def slot_bookings_by_hour(
    start: datetime, end: datetime, *, time_zone: str, zone: str = "", using: str = "default"
) -> Iterator[Mapping[str, Any]]:
    """Places booked (holds turned into bookings) in slots starting in [start, end), grouped as above."""
    holds = SlotHold.objects.using(using).filter(
        state=HoldState.BOOKED, slot__starts_at__gte=start, slot__starts_at__lt=end
    )
    if zone:
        holds = holds.filter(slot__zone__code=zone)
    tz = ZoneInfo(time_zone)
    return (
        holds.annotate(
            weekday=ExtractIsoWeekDay("slot__starts_at", tzinfo=tz), hour=ExtractHour("slot__starts_at", tzinfo=tz)
        )
        .values("slot__zone__code", "weekday", "hour")
        .annotate(booked=Count("id"))
        .order_by("slot__zone__code", "weekday", "hour")
        .iterator(chunk_size=2000)
    )


def zone_time_zone(code: str) -> str | None:
    """The IANA time zone of the zone with this code (None: no such zone)."""
    return Zone.objects.filter(code=code).values_list("time_zone", flat=True).first()


# --- the back office's dashboard and work queue -------------------------------------------------

# Shipments still on their way to the customer (not delivered, returned or cancelled).
OPEN_SHIPMENT_STATUSES = (
    ShipmentStatus.PENDING,
    ShipmentStatus.PICKING,
    ShipmentStatus.PACKED,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.FAILED_ATTEMPT,
)


def slot_fill(starts_from: datetime, starts_before: datetime) -> list[DeliverySlot]:
    """The slots starting in [from, before) with their zone, `reserved` (holds and bookings)
    against `capacity`; ordered by zone and start."""
    return list(
        DeliverySlot.objects.select_related("zone")
        .filter(starts_at__gte=starts_from, starts_at__lt=starts_before)
        .order_by("zone__code", "starts_at")
    )


def late_shipments(now: datetime) -> QuerySet[Shipment]:
    """Open shipments whose slot has ended."""
    return Shipment.objects.filter(status__in=OPEN_SHIPMENT_STATUSES, slot__ends_at__lt=now)


def unassigned_shipments() -> QuerySet[Shipment]:
    """Open shipments no courier is assigned to."""
    return Shipment.objects.filter(status__in=OPEN_SHIPMENT_STATUSES, courier__isnull=True)


def recent_notifications(limit: int = 50) -> list[DispatchNotification]:
    return list(DispatchNotification.objects.select_related("shipment").order_by("-created_at", "-id")[:limit])


def notification_for_staff(notification_id: int) -> DispatchNotification | None:
    return DispatchNotification.objects.select_related("shipment").filter(pk=notification_id).first()
