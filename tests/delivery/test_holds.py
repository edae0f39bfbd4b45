"""Holds take a place, expire (giving it back on the read path and in the sweep), extend once,
and become bookings at order placement only while still valid; cancelling frees the place.

Time moves by updating expires_at / cutoff_at in the database rather than by sleeping."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.celery import app
from delivery import tasks
from delivery.errors import (
    HoldAlreadyActive,
    HoldAlreadyExtended,
    HoldExpired,
    HoldNotActive,
    HoldNotFound,
    SlotClosed,
    SlotFull,
    SlotPastCutoff,
)
from delivery.models import DeliverySlot, HoldState, SlotHold
from delivery.services import slots as slot_services
from delivery.services.holds import (
    book_hold,
    cancel_booking,
    extend_hold,
    get_hold,
    hold_slot,
    release_all_expired_holds,
    release_hold,
)
from tests.delivery.factories import client_for, make_customer, make_slot, make_zone

pytestmark = pytest.mark.django_db


def reserved(slot: DeliverySlot) -> int:
    slot.refresh_from_db()
    return slot.reserved


def expire(hold: SlotHold) -> None:
    SlotHold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def pass_cutoff(slot: DeliverySlot) -> None:
    DeliverySlot.objects.filter(pk=slot.pk).update(cutoff_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def slot() -> DeliverySlot:
    return make_slot(make_zone(), capacity=1)


def test_a_hold_takes_a_place_for_the_configured_time(slot: DeliverySlot, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DELIVERY_HOLD_TTL_MINUTES = 7
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    assert hold.state == HoldState.ACTIVE and (hold.owner_type, hold.owner_id) == ("customer", str(hold.customer_id))
    assert timedelta(minutes=6) < hold.expires_at - timezone.now() <= timedelta(minutes=7)
    assert reserved(slot) == 1
    with pytest.raises(SlotFull):
        hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    assert reserved(slot) == 1


def test_a_customer_has_at_most_one_active_hold(slot: DeliverySlot) -> None:
    other = make_slot(slot.zone, capacity=3)
    customer = make_customer()
    first = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    with pytest.raises(HoldAlreadyActive):
        hold_slot(slot_id=other.pk, customer_id=customer.pk)
    assert reserved(other) == 0  # the refused hold took nothing
    # The database says so too, whatever a caller does.
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotHold.objects.create(slot=other, customer=customer, owner_id="x", expires_at=timezone.now())
    release_hold(first.pk, customer_id=customer.pk)
    assert hold_slot(slot_id=other.pk, customer_id=customer.pk).slot_id == other.pk


def test_closed_and_past_cutoff_slots_take_no_hold() -> None:
    zone = make_zone()
    closed = make_slot(zone, closed=True)
    late = make_slot(zone)
    pass_cutoff(late)
    with pytest.raises(SlotClosed):
        hold_slot(slot_id=closed.pk, customer_id=make_customer().pk)
    with pytest.raises(SlotPastCutoff):
        hold_slot(slot_id=late.pk, customer_id=make_customer().pk)
    assert reserved(closed) == reserved(late) == 0


def test_an_expired_hold_frees_its_place_on_the_read_path(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    expire(hold)
    assert reserved(slot) == 1  # nothing has looked yet

    body = client_for(None).get("/api/v1/delivery/slots/", {"postal_code": "10115"}).json()

    assert body["results"][0]["remaining"] == 1 and body["results"][0]["available"] is True
    assert reserved(slot) == 0
    hold.refresh_from_db()
    assert hold.state == HoldState.EXPIRED and hold.released_at is not None


def test_a_full_slot_reclaims_expired_places_for_a_new_hold(slot: DeliverySlot) -> None:
    expire(hold_slot(slot_id=slot.pk, customer_id=make_customer().pk))
    newcomer = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    assert newcomer.state == HoldState.ACTIVE and reserved(slot) == 1


def test_the_beat_sweep_releases_expired_holds_once(slot: DeliverySlot) -> None:
    other = make_slot(slot.zone, capacity=2)
    expire(hold_slot(slot_id=slot.pk, customer_id=make_customer().pk))
    expire(hold_slot(slot_id=other.pk, customer_id=make_customer().pk))
    live = hold_slot(slot_id=other.pk, customer_id=make_customer().pk)

    assert tasks.release_expired_holds() == 2
    assert release_all_expired_holds() == 0  # already released: not given back twice
    assert (reserved(slot), reserved(other)) == (0, 1)
    assert SlotHold.objects.get(pk=live.pk).state == HoldState.ACTIVE
    entry = app.conf.beat_schedule["delivery-release-expired-holds"]
    assert entry == {"task": "delivery.release_expired_holds", "schedule": 60}


def test_an_expired_hold_of_the_customer_does_not_block_a_new_one(slot: DeliverySlot) -> None:
    customer = make_customer()
    other = make_slot(slot.zone)
    old = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    expire(old)
    hold_slot(slot_id=other.pk, customer_id=customer.pk)
    assert reserved(slot) == 0 and reserved(other) == 1
    assert SlotHold.objects.get(pk=old.pk).state == HoldState.EXPIRED


def test_a_hold_extends_once(slot: DeliverySlot, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DELIVERY_HOLD_EXTENSION_MINUTES = 10
    customer = make_customer()
    hold = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    extended = extend_hold(hold.pk, customer_id=customer.pk)
    assert extended.expires_at - hold.expires_at == timedelta(minutes=10) and extended.extended_at
    with pytest.raises(HoldAlreadyExtended):
        extend_hold(hold.pk, customer_id=customer.pk)
    assert SlotHold.objects.get(pk=hold.pk).expires_at == extended.expires_at


def test_an_expired_hold_cannot_be_extended_and_gives_its_place_back(slot: DeliverySlot) -> None:
    customer = make_customer()
    hold = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    expire(hold)
    with pytest.raises(HoldExpired):
        extend_hold(hold.pk, customer_id=customer.pk)
    assert reserved(slot) == 0 and SlotHold.objects.get(pk=hold.pk).state == HoldState.EXPIRED


def test_booking_turns_the_hold_into_a_booked_place(slot: DeliverySlot) -> None:
    customer = make_customer()
    hold = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    booked = book_hold(hold.pk, "order-1", customer_id=customer.pk)
    assert (booked.state, booked.order_ref) == (HoldState.BOOKED, "order-1") and booked.booked_at
    assert book_hold(hold.pk, "order-1").state == HoldState.BOOKED  # a retried placement
    with pytest.raises(HoldNotActive):
        book_hold(hold.pk, "order-2")
    assert reserved(slot) == 1
    # A booked place is not the customer's active hold any more: they may hold for the next order.
    hold_slot(slot_id=make_slot(slot.zone).pk, customer_id=customer.pk)


def test_a_place_on_an_expired_hold_is_refused_at_placement(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    expire(hold)
    with pytest.raises(HoldExpired):
        book_hold(hold.pk, "order-1")
    hold.refresh_from_db()
    assert (hold.state, hold.order_ref) == (HoldState.EXPIRED, "")
    assert reserved(slot) == 0  # and its place is back


def test_a_place_after_cutoff_is_refused_at_placement(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    pass_cutoff(slot)
    with pytest.raises(SlotPastCutoff):
        book_hold(hold.pk, "order-1")
    hold.refresh_from_db()
    assert hold.state == HoldState.ACTIVE and hold.order_ref == ""


def test_a_place_in_a_slot_closed_since_the_hold_is_refused_at_placement(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    slot_services.close_slot(slot.pk, version=slot.version, reason="van broke down")
    with pytest.raises(SlotClosed):
        book_hold(hold.pk, "order-1")


def test_someone_elses_hold_is_not_found(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    stranger = make_customer()
    for action in (
        lambda: book_hold(hold.pk, "o", customer_id=stranger.pk),
        lambda: release_hold(hold.pk, customer_id=stranger.pk),
        lambda: extend_hold(hold.pk, customer_id=stranger.pk),
    ):
        with pytest.raises(HoldNotFound):
            action()
    assert reserved(slot) == 1


def test_cancelling_a_booking_frees_the_place(slot: DeliverySlot) -> None:
    hold = hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    book_hold(hold.pk, "order-9")
    assert cancel_booking("order-9") is True
    assert cancel_booking("order-9") is False  # once
    assert reserved(slot) == 0 and SlotHold.objects.get(pk=hold.pk).state == HoldState.RELEASED
    hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)


def test_a_booked_place_is_not_released_by_the_customer(slot: DeliverySlot) -> None:
    customer = make_customer()
    hold = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    book_hold(hold.pk, "order-3")
    with pytest.raises(HoldNotActive, match="cancel the order"):
        release_hold(hold.pk, customer_id=customer.pk)
    assert reserved(slot) == 1


def test_customers_hold_show_extend_and_release_through_the_api(slot: DeliverySlot) -> None:
    customer = make_customer()
    client = client_for(customer)

    created = client.post("/api/v1/delivery/holds/", {"slot": slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    assert created.status_code == 201, created.content
    hold = created.json()
    assert hold["state"] == "active" and hold["slot"]["id"] == slot.pk and hold["can_extend"] is True
    assert created["Location"] == f"/api/v1/delivery/holds/{hold['id']}/"
    replay = client.post("/api/v1/delivery/holds/", {"slot": slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    assert replay.status_code == 201 and replay.json()["id"] == hold["id"]  # replayed, not a second hold

    again = client.post("/api/v1/delivery/holds/", {"slot": slot.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "hold_already_active"

    extended = client.post(f"/api/v1/delivery/holds/{hold['id']}/extend/", format="json")
    assert extended.status_code == 200 and extended.json()["extended"] is True
    twice = client.post(f"/api/v1/delivery/holds/{hold['id']}/extend/", format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "hold_already_extended"

    assert client.get(f"/api/v1/delivery/holds/{hold['id']}/").json()["state"] == "active"
    assert client_for(make_customer()).get(f"/api/v1/delivery/holds/{hold['id']}/").status_code == 404
    assert client.delete(f"/api/v1/delivery/holds/{hold['id']}/").status_code == 204
    assert client.delete(f"/api/v1/delivery/holds/{hold['id']}/").status_code == 204  # nothing left to release
    assert reserved(slot) == 0
    assert get_hold(hold["id"]).state == HoldState.RELEASED


def test_hold_api_errors_have_the_one_body_shape(slot: DeliverySlot) -> None:
    hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    client = client_for(make_customer())
    full = client.post("/api/v1/delivery/holds/", {"slot": slot.pk}, format="json")
    assert full.status_code == 409
    assert full.json() == {"code": "slot_full", "message": "This slot is fully booked.", "fields": {}}
    unknown = client.post("/api/v1/delivery/holds/", {"slot": 999999}, format="json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "slot_not_found"
    junk = client.post("/api/v1/delivery/holds/", {"slot": slot.pk, "customer": 1}, format="json")
    assert junk.status_code == 400 and "customer" in junk.json()["fields"]
    anonymous = client_for(None).post("/api/v1/delivery/holds/", {"slot": slot.pk}, format="json")
    assert anonymous.status_code in (401, 403) and anonymous.json()["code"]
