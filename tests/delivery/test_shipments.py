"""Shipments move only through the transitions table (illegal moves answer 409 and change
nothing), keep a history, get the least loaded courier of their zone or the dispatcher's choice,
and are tracked by their customer alone."""

import pytest

from delivery.errors import CourierRequired, CourierUnavailable, IllegalTransition, NoCourierAvailable
from delivery.models import DispatchNotification, HistoryKind, Shipment, ShipmentHistory, ShipmentStatus
from delivery.services.shipments import SYSTEM, TRANSITIONS, Actor, assign_courier, transition_shipment
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from proto.events.v1 import orders_pb2
from tests.delivery.factories import (
    client_for,
    make_courier,
    make_customer,
    make_dispatcher,
    make_shipment,
    make_slot,
    make_zone,
)

pytestmark = pytest.mark.django_db

S = ShipmentStatus


def snapshot(shipment: Shipment) -> tuple[object, ...]:
    shipment.refresh_from_db()
    return (
        shipment.status,
        shipment.status_changed_at,
        shipment.courier_id,
        shipment.history.count(),
        DispatchNotification.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_the_transitions_table_covers_every_status_and_final_ones_allow_nothing() -> None:
    assert set(TRANSITIONS) == set(S.values)
    assert all(TRANSITIONS[final] == frozenset() for final in (S.DELIVERED, S.RETURNED, S.CANCELLED))
    assert all(set(targets) <= set(S.values) for targets in TRANSITIONS.values())


def test_a_shipment_goes_from_pending_to_delivered_with_a_history_row_per_change() -> None:
    zone = make_zone()
    courier = make_courier("Anna", zone)
    shipment = make_shipment(make_slot(zone), make_customer(), order_ref="o-1")
    dispatcher = make_dispatcher()
    assert (shipment.status, shipment.courier) == (S.PENDING, courier)

    for status in (S.PICKING, S.PACKED, S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT, S.OUT_FOR_DELIVERY, S.DELIVERED):
        transition_shipment(shipment.pk, status, actor=Actor.of(dispatcher), note=f"now {status}")

    steps = list(
        ShipmentHistory.objects.filter(shipment=shipment, kind=HistoryKind.STATUS).values_list(
            "from_status", "to_status", "actor_label"
        )
    )
    assert steps == [
        ("", "pending", "system"),
        ("pending", "picking", dispatcher.email),
        ("picking", "packed", dispatcher.email),
        ("packed", "out_for_delivery", dispatcher.email),
        ("out_for_delivery", "failed_attempt", dispatcher.email),
        ("failed_attempt", "out_for_delivery", dispatcher.email),
        ("out_for_delivery", "delivered", dispatcher.email),
    ]
    # The order hears about it: shipped once (a retry is not a second shipping), then delivered.
    events = [unpack_envelope(bytes(e.payload)) for e in OutboxEvent.objects.order_by("id")]
    assert [(env.event_type, env.aggregate_id) for env, _ in events] == [
        ("order.shipped", "o-1"),
        ("order.delivered", "o-1"),
    ]
    shipped = events[0][1]
    assert isinstance(shipped, orders_pb2.OrderShipped)
    assert (shipped.shipment_id, shipped.courier_id) == (str(shipment.pk), str(courier.pk))
    kinds = sorted(DispatchNotification.objects.values_list("kind", flat=True))
    assert kinds == ["courier_assigned", "delivered", "failed_attempt", "out_for_delivery", "out_for_delivery"]


def test_illegal_transitions_are_refused_and_change_nothing() -> None:
    zone = make_zone()
    make_courier("Anna", zone)
    shipment = make_shipment(make_slot(zone))
    before = snapshot(shipment)
    for status in (S.DELIVERED, S.PACKED, S.OUT_FOR_DELIVERY, S.RETURNED, S.PENDING):
        with pytest.raises(IllegalTransition):
            transition_shipment(shipment.pk, status, actor=SYSTEM)
    assert snapshot(shipment) == before


def test_illegal_transitions_through_the_api_answer_409_and_change_nothing() -> None:
    zone = make_zone()
    make_courier("Anna", zone)
    shipment = make_shipment(make_slot(zone))
    client = client_for(make_dispatcher())
    url = f"/api/v1/staff/delivery/shipments/{shipment.pk}/transition/"
    transition_shipment(shipment.pk, S.CANCELLED, actor=SYSTEM)
    before = snapshot(shipment)

    for status in ("picking", "delivered", "pending"):
        response = client.post(url, {"status": status}, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{status}")
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["code"] == "illegal_transition" and body["fields"] == {}
        assert body["message"].startswith("A shipment that is cancelled cannot become")

    assert snapshot(shipment) == before
    unknown = client.post(url, {"status": "teleported"}, format="json")
    assert unknown.status_code == 400 and "status" in unknown.json()["fields"]
    assert snapshot(shipment) == before


def test_dispatchers_move_shipments_through_the_api() -> None:
    zone = make_zone()
    make_courier("Anna", zone)
    shipment = make_shipment(make_slot(zone))
    dispatcher = make_dispatcher()
    client = client_for(dispatcher)
    moved = client.post(
        f"/api/v1/staff/delivery/shipments/{shipment.pk}/transition/",
        {"status": "picking", "note": "wave 3"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert body["status"] == "picking" and body["allowed_transitions"] == ["cancelled", "packed"]
    assert body["history"][-1] | {"at": None} == {
        "kind": "status",
        "from_status": "pending",
        "to_status": "picking",
        "courier": None,
        "actor_label": dispatcher.email,
        "note": "wave 3",
        "at": None,
    }
    listed = client.get("/api/v1/staff/delivery/shipments/", {"status": "picking"}).json()
    assert [s["id"] for s in listed["results"]] == [shipment.pk]
    assert client.get("/api/v1/staff/delivery/shipments/", {"status": "packed"}).json()["count"] == 0
    assert (
        client_for(make_customer())
        .post(f"/api/v1/staff/delivery/shipments/{shipment.pk}/transition/", {"status": "packed"}, format="json")
        .status_code
        == 403
    )


def test_a_shipment_leaves_only_with_a_courier() -> None:
    zone = make_zone()
    shipment = make_shipment(make_slot(zone))  # no courier on shift in the zone
    assert shipment.courier is None
    transition_shipment(shipment.pk, S.PICKING, actor=SYSTEM)
    transition_shipment(shipment.pk, S.PACKED, actor=SYSTEM)
    with pytest.raises(CourierRequired):
        transition_shipment(shipment.pk, S.OUT_FOR_DELIVERY, actor=SYSTEM)
    with pytest.raises(NoCourierAvailable):
        assign_courier(shipment.pk, courier_id=None, actor=SYSTEM)
    assert Shipment.objects.get(pk=shipment.pk).status == S.PACKED


def test_the_least_loaded_active_courier_of_the_zone_is_assigned_ties_by_id() -> None:
    zone, elsewhere = make_zone("a"), make_zone("b", exact=("20000",))
    anna = make_courier("Anna", zone)
    ben = make_courier("Ben", zone)
    make_courier("Off shift", zone, active=False)
    make_courier("Elsewhere", elsewhere)
    slot = make_slot(zone, capacity=10)

    assigned = [make_shipment(slot).courier for _ in range(4)]
    assert assigned == [anna, ben, anna, ben]

    # Finished shipments do not count as load.
    for shipment in Shipment.objects.filter(courier=anna):
        transition_shipment(shipment.pk, S.CANCELLED, actor=SYSTEM)
    assert make_shipment(slot).courier == anna
    assert make_shipment(slot).courier == anna  # 2 vs Ben's 2: ties by id


def test_a_dispatcher_overrides_the_courier_even_from_another_zone_but_not_off_shift() -> None:
    zone, elsewhere = make_zone("a"), make_zone("b", exact=("20000",))
    make_courier("Anna", zone)
    visitor = make_courier("Visitor", elsewhere)
    resting = make_courier("Resting", zone, active=False)
    shipment = make_shipment(make_slot(zone))
    client = client_for(make_dispatcher())
    url = f"/api/v1/staff/delivery/shipments/{shipment.pk}/assign/"

    chosen = client.post(url, {"courier": visitor.pk, "note": "Anna is full"}, format="json")
    assert chosen.status_code == 200 and chosen.json()["courier"] == {"id": visitor.pk, "name": "Visitor"}
    entry = ShipmentHistory.objects.filter(shipment=shipment, kind=HistoryKind.COURIER).last()
    assert entry is not None and (entry.courier, entry.note) == (visitor, "Anna is full")
    assert DispatchNotification.objects.filter(recipient=f"courier:{visitor.pk}").exists()

    off = client.post(url, {"courier": resting.pk}, format="json")
    assert off.status_code == 409 and off.json()["code"] == "courier_unavailable"
    with pytest.raises(CourierUnavailable):
        assign_courier(shipment.pk, courier_id=resting.pk, actor=SYSTEM)
    missing = client.post(url, {"courier": 999999}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "courier_not_found"
    auto = client.post(url, {}, format="json")
    assert auto.status_code == 200 and auto.json()["courier"]["name"] == "Anna"

    transition_shipment(shipment.pk, S.PICKING, actor=SYSTEM)
    transition_shipment(shipment.pk, S.PACKED, actor=SYSTEM)
    transition_shipment(shipment.pk, S.OUT_FOR_DELIVERY, actor=SYSTEM)
    on_the_road = client.post(url, {"courier": visitor.pk}, format="json")
    assert on_the_road.status_code == 409 and on_the_road.json()["code"] == "illegal_transition"


def test_customers_track_their_own_shipments_only() -> None:
    zone = make_zone()
    make_courier("Anna", zone)
    owner = make_customer()
    shipment = make_shipment(make_slot(zone), owner, order_ref="o-7")
    transition_shipment(shipment.pk, S.PICKING, actor=Actor.of(make_dispatcher()))

    seen = client_for(owner).get("/api/v1/delivery/shipments/o-7/")
    assert seen.status_code == 200
    body = seen.json()
    assert (body["order_ref"], body["status"], body["status_display"], body["courier"]) == (
        "o-7",
        "picking",
        "Picking",
        "Anna",
    )
    assert [step["status"] for step in body["history"]] == ["pending", "picking"]
    assert "dispatch@example.com" not in seen.content.decode()  # no staff names for customers

    stranger = client_for(make_customer()).get("/api/v1/delivery/shipments/o-7/")
    assert stranger.status_code == 404 and stranger.json()["code"] == "shipment_not_found"
    assert client_for(owner).get("/api/v1/delivery/shipments/o-8/").status_code == 404
    assert client_for(None).get("/api/v1/delivery/shipments/o-7/").status_code in (401, 403)
