"""Dispatchers run the day in the admin: slots with their fill rate, shipments moved in bulk and
given couriers, every change through the services (illegal moves are reported, not applied)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client

from delivery.admin.slots import DeliverySlotAdmin, SlotForm
from delivery.models import DeliverySlot, HistoryKind, Shipment, ShipmentStatus
from delivery.services.holds import hold_slot
from delivery.services.shipments import SYSTEM, transition_shipment
from tests.browser import browser_page, sign_in_to_admin
from tests.delivery.factories import (
    PASSWORD,
    make_courier,
    make_customer,
    make_dispatcher,
    make_shipment,
    make_slot,
    make_zone,
)


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_bulk_moves_shipments_to_picking_and_assigns_a_courier(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zone = make_zone()
    anna = make_courier("Anna", zone)
    ben = make_courier("Ben", zone)
    slot = make_slot(zone, starts_in=timedelta(hours=3), capacity=10)
    first, second, done = (make_shipment(slot, order_ref=ref) for ref in ("o-1", "o-2", "o-3"))
    for status in ("picking", "packed", "out_for_delivery", "delivered"):
        transition_shipment(done.pk, status, actor=SYSTEM)
    dispatcher = make_dispatcher("dispatch@example.com", PASSWORD)

    with browser_page() as page:
        sign_in_to_admin(page, live_server.url, dispatcher.email, PASSWORD)
        page.goto(f"{live_server.url}/admin/delivery/shipment/")
        assert page.locator("#result_list tbody tr").count() == 3
        for shipment in (first, second, done):
            page.check(f"input[name=_selected_action][value='{shipment.pk}']")
        page.select_option("select[name=action]", "move_to_picking")
        page.fill("input[name=note]", "wave 1")
        page.click("button[name=index]")
        moved = page.locator("ul.messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "shipments-picking.png"))

        page.goto(f"{live_server.url}/admin/delivery/shipment/?status=picking")
        for shipment in (first, second):
            page.check(f"input[name=_selected_action][value='{shipment.pk}']")
        page.select_option("select[name=action]", "assign_chosen_courier")
        page.select_option("select[name=courier]", str(ben.pk))
        page.click("button[name=index]")
        assigned = page.locator("ul.messagelist").inner_text()

        page.goto(f"{live_server.url}/admin/delivery/deliveryslot/")
        title = page.locator("h1").inner_text()
        fill = page.locator("#result_list tbody tr:first-child td.field-fill").inner_text()
        page.screenshot(path=str(tmp_path / "slots.png"))

    assert "2 shipment(s) moved to picking." in moved
    assert "Shipment of order N-o-3: A shipment that is delivered cannot become picking" in moved
    assert "2 shipment(s) assigned." in assigned
    assert {s.pk: (s.status, s.courier_id) for s in Shipment.objects.all()} == {
        first.pk: (ShipmentStatus.PICKING, ben.pk),
        second.pk: (ShipmentStatus.PICKING, ben.pk),
        done.pk: (ShipmentStatus.DELIVERED, anna.pk),
    }  # least loaded at creation, kept
    step = first.history.filter(kind=HistoryKind.STATUS).last()
    assert step is not None and (step.to_status, step.actor_label, step.note) == ("picking", dispatcher.email, "wave 1")
    assert title == "Delivery slots: 0 of 10 places taken (0%)"
    assert fill == "0%"


@pytest.mark.django_db
def test_the_slot_form_refuses_a_stale_version_and_a_capacity_below_the_places_taken() -> None:
    slot = make_slot(make_zone(), capacity=5)
    for _ in range(2):
        hold_slot(slot_id=slot.pk, customer_id=make_customer().pk)
    client = Client()
    client.force_login(make_dispatcher())
    url = f"/admin/delivery/deliveryslot/{slot.pk}/change/"
    assert client.get(url).status_code == 200

    too_small = client.post(url, {"capacity": 1, "closed_reason": "", "version": 1, **no_holds()})
    assert too_small.status_code == 200
    assert "Capacity cannot go below the 2 places already held or booked." in too_small.content.decode()

    DeliverySlot.objects.filter(pk=slot.pk).update(version=2)  # someone else saved meanwhile
    stale = client.post(url, {"capacity": 7, "closed_reason": "", "version": 1, **no_holds()})
    assert "Someone else changed this slot" in stale.content.decode()
    slot.refresh_from_db()
    assert (slot.capacity, slot.version) == (5, 2)

    saved = client.post(url, {"capacity": 7, "closed": "on", "closed_reason": "storm", "version": 2, **no_holds()})
    assert saved.status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.closed, slot.closed_reason, slot.version) == (7, True, "storm", 3)


@pytest.mark.django_db
def test_a_slot_save_that_loses_a_race_after_the_form_check_is_reported_and_changes_nothing(rf) -> None:  # type: ignore[no-untyped-def]
    slot = make_slot(make_zone(), capacity=5)
    request = rf.post(f"/admin/delivery/deliveryslot/{slot.pk}/change/")
    request.user, request.session = make_dispatcher(), {}
    request._messages = FallbackStorage(request)
    model_admin = DeliverySlotAdmin(DeliverySlot, admin.site)
    form = SlotForm(data={"capacity": 9, "closed_reason": "", "version": 1}, instance=slot)
    assert form.is_valid()
    DeliverySlot.objects.filter(pk=slot.pk).update(version=2)  # another dispatcher saved just now

    model_admin.save_model(request, form.save(commit=False), form, change=True)
    response = model_admin.response_change(request, slot)

    assert response.status_code == 302 and response["Location"] == request.path
    assert [str(m) for m in get_messages(request)] == [
        "Not saved: The slot was changed by someone else since version 1 (it is now at version 2); reload it and "
        "try again."
    ]
    assert DeliverySlot.objects.get(pk=slot.pk).capacity == 5


def no_holds() -> dict[str, object]:
    """The management form of the read-only holds inline."""
    return {"holds-TOTAL_FORMS": 0, "holds-INITIAL_FORMS": 0, "holds-MIN_NUM_FORMS": 0, "holds-MAX_NUM_FORMS": 0}


@pytest.mark.django_db
def test_slots_list_today_and_tomorrow_by_default_with_their_fill_rate() -> None:
    zone = make_zone()
    today = make_slot(zone, starts_in=timedelta(minutes=90), capacity=4)
    later = make_slot(zone, starts_in=timedelta(days=5), capacity=4)
    hold_slot(slot_id=today.pk, customer_id=make_customer().pk)
    client = Client()
    client.force_login(make_dispatcher())

    default = client.get("/admin/delivery/deliveryslot/").content.decode()
    assert "Delivery slots: 1 of 4 places taken (25%)" in default
    assert f"/admin/delivery/deliveryslot/{later.pk}/change/" not in default
    week = client.get("/admin/delivery/deliveryslot/?day=week").content.decode()
    assert f"/admin/delivery/deliveryslot/{later.pk}/change/" in week

    response = client.post(
        "/admin/delivery/deliveryslot/?day=all",
        {"action": "close_slots", "_selected_action": [today.pk, later.pk], "index": 0},
    )
    assert response.status_code == 302
    assert set(DeliverySlot.objects.values_list("closed", "version")) == {(True, 2)}


@pytest.mark.django_db
def test_customers_and_plain_staff_cannot_dispatch() -> None:
    shipment = make_shipment(make_slot(make_zone()))
    client = Client()
    client.force_login(make_customer())
    assert client.get("/admin/delivery/shipment/").status_code == 302  # to the login page
    response = client.post(
        "/admin/delivery/shipment/", {"action": "move_to_picking", "_selected_action": [shipment.pk], "index": 0}
    )
    assert response.status_code == 302
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.PENDING
