"""Shipments come from order events through real Kafka: one per confirmed order however often and in
whatever order the events arrive; a cancelled order frees its place and cancels its shipment."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from delivery.consumers import ShipmentsFromOrders
from delivery.models import DeliveryOrder, DeliverySlot, HoldState, Shipment, ShipmentStatus, SlotHold
from delivery.services.holds import book_hold, hold_slot
from events.bridge import DomainSignal
from events.consuming import ConsumerRunner, ConsumerStats
from events.contracts import money
from events.models import DeadLetter, OutboxEvent, ProcessedEvent
from events.relay import OutboxRelay
from proto.events.v1 import orders_pb2
from tests.delivery.factories import make_courier, make_customer, make_slot, make_zone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics")]

# What the orders app will send; declared here so the test does not depend on it.
order_created = DomainSignal("order.created", aggregate_type="order")
order_confirmed = DomainSignal("order.confirmed", aggregate_type="order")
order_cancelled = DomainSignal("order.cancelled", aggregate_type="order")


def emit_created(order_id: str, slot_id: str, customer_id: str) -> OutboxEvent:
    payload = orders_pb2.OrderCreated(
        order_id=order_id,
        number=f"N-{order_id}",
        customer_id=customer_id,
        delivery_slot_id=slot_id,
        total=money(Decimal("42.00"), "EUR"),
    )
    payload.placed_at.FromDatetime(datetime.now(UTC))
    with transaction.atomic():
        return order_created.send_event(sender=None, aggregate_id=order_id, payload=payload)


def emit_confirmed(order_id: str) -> OutboxEvent:
    payload = orders_pb2.OrderConfirmed(order_id=order_id, payment_id="pay-1", total=money(Decimal("42.00"), "EUR"))
    payload.confirmed_at.FromDatetime(datetime.now(UTC))
    with transaction.atomic():
        return order_confirmed.send_event(sender=None, aggregate_id=order_id, payload=payload)


def emit_cancelled(order_id: str) -> OutboxEvent:
    payload = orders_pb2.OrderCancelled(
        order_id=order_id, reason="changed my mind", cancelled_by="customer", total=money(Decimal("42.00"), "EUR")
    )
    payload.cancelled_at.FromDatetime(datetime.now(UTC))
    with transaction.atomic():
        return order_cancelled.send_event(sender=None, aggregate_id=order_id, payload=payload)


def relay_all() -> None:
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)


def consume_all(**options: object) -> ConsumerStats:
    return ConsumerRunner(ShipmentsFromOrders(), retry_backoff=0.01, **options).run(  # type: ignore[arg-type]
        threading.Event(), until_idle=True
    )


@pytest.fixture
def slot() -> DeliverySlot:
    zone = make_zone()
    make_courier("Anna", zone)
    return make_slot(zone, capacity=3)


def test_a_confirmed_order_gets_one_shipment_even_when_the_event_comes_twice(slot: DeliverySlot) -> None:
    customer = make_customer()
    emit_created("o-1", str(slot.pk), str(customer.pk))
    confirmed = emit_confirmed("o-1")
    relay_all()
    # Kafka delivers the confirmation again (a relay that died before marking it published)...
    OutboxEvent.objects.filter(pk=confirmed.pk).update(published_at=None)
    relay_all()
    # ...and the orders app confirms the same order a second time (a new event id).
    emit_confirmed("o-1")
    relay_all()

    stats = consume_all()

    assert (stats.applied, stats.duplicates) == (3, 1)
    shipment = Shipment.objects.get()
    assert (shipment.order_ref, shipment.order_number, shipment.customer_ref) == ("o-1", "N-o-1", str(customer.pk))
    assert (shipment.slot, shipment.zone, shipment.status) == (slot, slot.zone, ShipmentStatus.PENDING)
    assert shipment.courier is not None and shipment.courier.name == "Anna"
    assert ProcessedEvent.objects.filter(consumer_group="delivery.shipments").count() == 3
    assert consume_all().applied == 0  # offsets were committed: nothing is applied again


def test_a_confirmation_that_overtakes_its_creation_still_yields_one_shipment(slot: DeliverySlot) -> None:
    emit_confirmed("o-2")
    relay_all()
    consume_all()
    assert not Shipment.objects.exists()
    order = DeliveryOrder.objects.get(order_ref="o-2")
    assert order.confirmed_at is not None and order.placed_seen_at is None

    emit_created("o-2", str(slot.pk), "17")
    relay_all()
    consume_all()
    assert Shipment.objects.get().order_ref == "o-2"


def test_a_cancelled_order_frees_its_booked_place_and_cancels_its_shipment(slot: DeliverySlot) -> None:
    customer = make_customer()
    hold = hold_slot(slot_id=slot.pk, customer_id=customer.pk)
    book_hold(hold.pk, "o-3", customer_id=customer.pk)  # what placing the order does
    emit_created("o-3", str(slot.pk), str(customer.pk))
    emit_confirmed("o-3")
    emit_cancelled("o-3")
    relay_all()

    consume_all()

    shipment = Shipment.objects.get()
    assert shipment.status == ShipmentStatus.CANCELLED
    assert shipment.history.last().note == "order cancelled: changed my mind"  # type: ignore[union-attr]
    slot.refresh_from_db()
    assert slot.reserved == 0
    assert SlotHold.objects.get(pk=hold.pk).state == HoldState.RELEASED


def test_an_order_without_a_slot_needs_no_shipment_and_an_unknown_slot_is_dead_lettered(slot: DeliverySlot) -> None:
    emit_created("pickup-1", "", "5")
    emit_confirmed("pickup-1")
    emit_created("bad-1", "999999", "5")
    relay_all()

    stats = consume_all(max_attempts=2)

    assert (stats.applied, stats.dead_lettered) == (2, 1)
    assert not Shipment.objects.exists()
    dead = DeadLetter.objects.get()
    assert (dead.consumer_group, dead.error_code) == ("delivery.shipments", "handler_failed")
    assert "names delivery slot '999999', which does not exist" in dead.error
