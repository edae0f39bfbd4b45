"""Dated slots from the weekly templates, and staff edits of a slot (capacity, closing)."""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from delivery.errors import CapacityBelowReserved, DeliveryError, SlotNotFound, StaleVersion
from delivery.models import DeliverySlot, SlotTemplate, Zone

logger = logging.getLogger(__name__)


def generate_slots(days_ahead: int | None = None, *, now: datetime | None = None) -> int:
    """Create the dated slots of every active template for today and the next days (in each zone's
    time zone); returns how many were new. Idempotent: (zone, start) is unique, existing slots are
    left as staff may have edited them, and windows already past their cut-off are skipped."""
    now = now or timezone.now()
    days = settings.DELIVERY_SLOTS_DAYS_AHEAD if days_ahead is None else days_ahead
    templates: dict[int, list[SlotTemplate]] = defaultdict(list)
    for template in SlotTemplate.objects.filter(is_active=True, zone__is_active=True).select_related("zone"):
        templates[template.zone_id].append(template)

    wanted: list[DeliverySlot] = []
    for zone_templates in templates.values():
        zone: Zone = zone_templates[0].zone
        tz = ZoneInfo(zone.time_zone)
        today = now.astimezone(tz).date()
        for offset in range(days):
            day = today + timedelta(days=offset)
            for template in zone_templates:
                if template.weekday != day.weekday():
                    continue
                starts_at = datetime.combine(day, template.starts_at, tzinfo=tz)
                cutoff_at = starts_at - timedelta(minutes=template.cutoff_minutes)
                if cutoff_at <= now:
                    continue
                wanted.append(
                    DeliverySlot(
                        zone=zone,
                        template=template,
                        starts_at=starts_at,
                        ends_at=datetime.combine(day, template.ends_at, tzinfo=tz),
                        cutoff_at=cutoff_at,
                        capacity=template.capacity,
                        fee_premium=template.fee_premium,
                    )
                )
    if not wanted:
        return 0
    existing = set(
        DeliverySlot.objects.filter(
            zone_id__in=templates.keys(),
            starts_at__gte=min(s.starts_at for s in wanted),
            starts_at__lte=max(s.starts_at for s in wanted),
        ).values_list("zone_id", "starts_at")
    )
    missing = [s for s in wanted if (s.zone_id, s.starts_at) not in existing]
    # ignore_conflicts: a concurrent run (two beats by mistake, the demo loader) creates the same rows.
    DeliverySlot.objects.bulk_create(missing, ignore_conflicts=True, batch_size=500)
    logger.info("delivery slots generated: %d new for %d days ahead", len(missing), days)
    return len(missing)


def update_slot(
    slot_id: int, *, version: int, capacity: int | None = None, closed: bool | None = None, closed_reason: str = ""
) -> DeliverySlot:
    """A staff edit of a slot: one conditional UPDATE that checks the version the editor saw and,
    for a capacity change, that the capacity stays at or above the places already taken."""
    if capacity is not None and capacity < 0:
        raise DeliveryError("Capacity cannot be negative.", fields={"capacity": ["Must be 0 or more."]})
    now = timezone.now()
    changes: dict[str, Any] = {}
    condition = Q(pk=slot_id, version=version)
    if capacity is not None:
        changes["capacity"] = capacity
        condition &= Q(reserved__lte=capacity)
    if closed is not None:
        changes.update(closed=closed, closed_reason=closed_reason[:200] if closed else "")
    with transaction.atomic():
        if changes:
            updated = DeliverySlot.objects.filter(condition).update(**changes, version=F("version") + 1, updated_at=now)
        else:
            updated = DeliverySlot.objects.filter(condition).count()
        slot = DeliverySlot.objects.filter(pk=slot_id).first()
        if slot is None:
            raise SlotNotFound(f"There is no slot {slot_id}.")
        if not updated:
            if slot.version != version:
                raise StaleVersion(
                    f"The slot was changed by someone else since version {version} (it is now at version "
                    f"{slot.version}); reload it and try again.",
                    fields={"version": ["Stale version."]},
                )
            raise CapacityBelowReserved(
                f"Capacity cannot go below the {slot.reserved} places already held or booked in this slot.",
                fields={"capacity": [f"Must be at least {slot.reserved}."]},
            )
    return slot


def close_slot(slot_id: int, *, version: int, reason: str = "") -> DeliverySlot:
    return update_slot(slot_id, version=version, closed=True, closed_reason=reason)


def reopen_slot(slot_id: int, *, version: int) -> DeliverySlot:
    return update_slot(slot_id, version=version, closed=False)
