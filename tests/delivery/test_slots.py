"""Dated slots from weekly templates (idempotent, days ahead, cut-off), and dispatchers' edits of a
slot: capacity never below its reserved places, stale versions refused, closing."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from config.celery import app
from delivery import tasks
from delivery.errors import CapacityBelowReserved, StaleVersion
from delivery.models import DeliverySlot, SlotTemplate
from delivery.services.holds import hold_slot
from delivery.services.slots import generate_slots, update_slot
from tests.delivery.factories import client_for, make_customer, make_dispatcher, make_slot, make_zone

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def every_day(zone, hours: range, **fields) -> None:  # type: ignore[no-untyped-def]
    for weekday in range(7):
        for hour in hours:
            SlotTemplate.objects.create(
                zone=zone,
                weekday=weekday,
                starts_at=time(hour),
                ends_at=time(hour + 1),
                **{"capacity": 10, "cutoff_minutes": 60, **fields},
            )


def test_templates_become_dated_slots_in_the_zones_time_zone_idempotently() -> None:
    zone = make_zone()
    every_day(zone, range(8, 22), fee_premium=Decimal("0.50"))
    # Monday 2030-06-03, 06:00 in Berlin (04:00 UTC): every window of today is still open.
    now = datetime(2030, 6, 3, 4, 0, tzinfo=UTC)

    assert generate_slots(7, now=now) == 7 * 14
    assert generate_slots(7, now=now) == 0  # idempotent
    assert generate_slots(8, now=now) == 14  # one more day

    first = DeliverySlot.objects.order_by("starts_at").first()
    assert first is not None
    assert first.starts_at.astimezone(BERLIN).replace(tzinfo=None) == datetime(2030, 6, 3, 8, 0)
    assert first.ends_at - first.starts_at == timedelta(hours=1)
    assert first.starts_at - first.cutoff_at == timedelta(minutes=60)
    assert (first.capacity, first.reserved, first.fee_premium, first.version) == (10, 0, Decimal("0.50"), 1)


def test_windows_past_their_cutoff_are_not_generated_and_edited_slots_are_kept() -> None:
    zone = make_zone()
    every_day(zone, range(8, 10))
    # 08:30 Berlin: the 08:00 window has started, the 09:00 one closed at 08:00.
    now = datetime(2030, 6, 3, 6, 30, tzinfo=UTC)
    assert generate_slots(1, now=now) == 0
    assert generate_slots(2, now=now) == 2  # tomorrow's two

    slot = DeliverySlot.objects.order_by("starts_at").first()
    assert slot is not None
    update_slot(slot.pk, version=slot.version, capacity=3)
    assert generate_slots(2, now=now) == 0
    slot.refresh_from_db()
    assert slot.capacity == 3


def test_only_active_templates_of_active_zones_generate_and_weekdays_are_honoured() -> None:
    zone = make_zone()
    SlotTemplate.objects.create(zone=zone, weekday=2, starts_at=time(10), ends_at=time(11), capacity=4)
    SlotTemplate.objects.create(zone=zone, weekday=3, starts_at=time(10), ends_at=time(11), capacity=4, is_active=False)
    SlotTemplate.objects.create(
        zone=make_zone("off", exact=("20000",), active=False),
        weekday=2,
        starts_at=time(10),
        ends_at=time(11),
        capacity=4,
    )
    now = datetime(2030, 6, 3, 4, 0, tzinfo=UTC)  # a Monday
    assert generate_slots(7, now=now) == 1
    only = DeliverySlot.objects.get()
    assert only.starts_at.astimezone(BERLIN).weekday() == 2 and only.zone == zone


def test_the_beat_task_generates_the_configured_days_ahead(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DELIVERY_SLOTS_DAYS_AHEAD = 3
    every_day(make_zone(), range(22, 23))  # one window a day, 22:00 Berlin
    created = tasks.generate_slots()
    assert 2 <= created <= 3  # today's is skipped when its cut-off (21:00 Berlin) has passed
    assert tasks.generate_slots() == 0
    assert app.conf.beat_schedule["delivery-generate-slots"] == {"task": "delivery.generate_slots", "schedule": 3600}


def test_capacity_never_goes_below_the_places_taken() -> None:
    slot = make_slot(make_zone(), capacity=5)
    for _ in range(3):
        hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)

    with pytest.raises(CapacityBelowReserved, match="below the 3 places"):
        update_slot(slot.pk, version=1, capacity=2)
    slot.refresh_from_db()
    assert (slot.capacity, slot.version) == (5, 1)

    changed = update_slot(slot.pk, version=1, capacity=3)
    assert (changed.capacity, changed.version) == (3, 2)
    with pytest.raises(StaleVersion):
        update_slot(slot.pk, version=1, capacity=8)
    assert DeliverySlot.objects.get(pk=slot.pk).capacity == 3


def test_dispatchers_change_capacity_and_close_slots_with_the_version_they_saw() -> None:
    slot = make_slot(make_zone(), capacity=5)
    hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    client = client_for(make_dispatcher())
    url = f"/api/v1/staff/delivery/slots/{slot.pk}/"

    seen = client.get(url).json()
    assert (seen["capacity"], seen["reserved"], seen["remaining"], seen["fill_rate"], seen["version"]) == (
        5,
        1,
        4,
        0.2,
        1,
    )

    grown = client.patch(url, {"version": 1, "capacity": 8}, format="json")
    assert grown.status_code == 200 and (grown.json()["capacity"], grown.json()["version"]) == (8, 2)

    stale = client.patch(url, {"version": 1, "closed": True}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    too_small = client.patch(url, {"version": 2, "capacity": 0}, format="json")
    assert too_small.status_code == 409 and too_small.json()["code"] == "capacity_below_reserved"
    assert too_small.json()["fields"] == {"capacity": ["Must be at least 1."]}
    negative = client.patch(url, {"version": 2, "capacity": -1}, format="json")
    assert negative.status_code == 400 and "capacity" in negative.json()["fields"]

    closed = client.patch(url, {"version": 2, "closed": True, "closed_reason": "storm"}, format="json")
    assert closed.status_code == 200 and closed.json()["closed"] is True and closed.json()["version"] == 3
    slot.refresh_from_db()
    assert (slot.capacity, slot.closed, slot.closed_reason) == (8, True, "storm")

    listed = client.get("/api/v1/staff/delivery/slots/").json()
    assert [s["id"] for s in listed["results"]] == [slot.pk]


def test_staff_slot_endpoints_are_for_dispatchers_only() -> None:
    slot = make_slot(make_zone())
    customer = client_for(make_customer())
    assert customer.get("/api/v1/staff/delivery/slots/").status_code == 403
    assert (
        customer.patch(
            f"/api/v1/staff/delivery/slots/{slot.pk}/", {"version": 1, "capacity": 9}, format="json"
        ).status_code
        == 403
    )
    assert client_for(None).get("/api/v1/staff/delivery/slots/").status_code in (401, 403)
    assert DeliverySlot.objects.get(pk=slot.pk).capacity == 5
