"""OrderService and DeliveryService over a real channel: customers see only their own orders and
shipments, staff see any, and WatchOrder follows an order as it is confirmed and picked."""

import queue
import threading
import time
from typing import Any

import grpc
import pytest

from orders.services import lifecycle, picking
from proto.delivery.v1 import delivery_pb2, delivery_pb2_grpc
from proto.orders.v1 import orders_pb2, orders_pb2_grpc
from tests.delivery.factories import make_shipment
from tests.grpc.support import bearer, failure
from tests.orders.helpers import checked_out, make_customer, make_shop, make_staff, pay, place

pytestmark = pytest.mark.django_db(transaction=True)


def watch(
    stub: orders_pb2_grpc.OrderServiceStub, order_id: int, metadata: Any, seconds: float, changes: "queue.Queue[Any]"
) -> None:
    """Collect the stream into `changes`, then None when it ended (or the error it ended with)."""
    try:
        for change in stub.WatchOrder(
            orders_pb2.WatchOrderRequest(order_id=order_id), metadata=metadata, timeout=seconds
        ):
            changes.put(change)
        changes.put(None)
    except grpc.RpcError as error:
        changes.put(error)


def test_orders_are_read_listed_cancelled_and_watched_by_their_customer_and_staff(channel: grpc.Channel) -> None:
    orders = orders_pb2_grpc.OrderServiceStub(channel)
    shop = make_shop()
    ann, _ = checked_out(shop, (shop.bread, "2"))
    order = place(ann)
    as_ann, as_bob = bearer(ann), bearer(make_customer()[0])

    changes: queue.Queue[Any] = queue.Queue()
    deadline = 4.0
    started = time.monotonic()
    watcher = threading.Thread(target=watch, args=(orders, order.pk, as_ann, deadline, changes))
    watcher.start()
    first = changes.get(timeout=5)
    assert (first.to_status, first.event_type, first.final) == ("pending_payment", "order.created", False)
    lifecycle.confirm_order(order.ref, payment_id=pay(order).payment_id)
    confirmed = changes.get(timeout=5)
    assert (confirmed.from_status, confirmed.to_status, confirmed.event_type, confirmed.actor_kind) == (
        "pending_payment",
        "confirmed",
        "order.confirmed",
        "payment",
    )
    picking.record_picks(order.pk, [picking.Pick(line.pk, "2") for line in order.lines.all()])
    picking.pack_order(order.pk)
    assert [(c.to_status, c.event_type) for c in (changes.get(timeout=5), changes.get(timeout=5))] == [
        ("picking", ""),
        ("packed", "order.picked"),
    ]
    assert changes.get(timeout=deadline + 2) is None  # ended cleanly on the deadline, nothing more
    watcher.join()
    assert deadline - 1 < time.monotonic() - started < deadline + 1

    mine = orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.pk), metadata=as_ann, timeout=5)
    assert (mine.status, mine.total.amount, len(mine.lines), mine.lines[0].picked_quantity.value) == (
        "packed",
        order.total.to_eng_string(),
        1,
        "2",
    )
    for call, request in (
        (orders.GetOrder, orders_pb2.GetOrderRequest(order_id=order.pk)),
        (orders.CancelOrder, orders_pb2.CancelOrderRequest(order_id=order.pk)),
    ):
        not_yours = failure(call, request, metadata=as_bob)
        assert (not_yours.code, not_yours.reason) == (grpc.StatusCode.NOT_FOUND, "order_not_found")
    hidden = changes_of_bob = queue.Queue()  # type: ignore[var-annotated]
    watch(orders, order.pk, as_bob, 2, changes_of_bob)
    assert hidden.get().code() == grpc.StatusCode.NOT_FOUND
    too_late = failure(orders.CancelOrder, orders_pb2.CancelOrderRequest(order_id=order.pk), metadata=as_ann)
    assert (too_late.code, too_late.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "illegal_transition")

    support = bearer(make_staff("Support", "orders"))
    assert orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.pk), metadata=support, timeout=5).id == order.pk
    checked_out(shop, (shop.milk, "5"), customer=(ann, ann.addresses.first()))
    second = place(ann)
    listed = orders.ListOrders(orders_pb2.ListOrdersRequest(page_size=1), metadata=as_ann, timeout=5)
    assert ([o.id for o in listed.orders], listed.total_size, bool(listed.next_page_token)) == ([second.pk], 2, True)
    assert orders.ListOrders(orders_pb2.ListOrdersRequest(), metadata=as_bob, timeout=5).total_size == 0
    assert (
        orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=ann.pk), metadata=support, timeout=5).total_size == 2
    )
    cancelled = orders.CancelOrder(
        orders_pb2.CancelOrderRequest(order_id=second.pk, reason="changed my mind"), metadata=as_ann, timeout=5
    )
    assert cancelled.status == "cancelled"
    ended = queue.Queue()  # type: ignore[var-annotated]
    watch(orders, second.pk, as_ann, 5, ended)
    last = ended.get()
    assert (last.to_status, last.event_type, last.final, ended.get()) == ("cancelled", "order.cancelled", True, None)
    anonymous = failure(orders.ListOrders, orders_pb2.ListOrdersRequest())
    assert (anonymous.code, anonymous.reason) == (grpc.StatusCode.UNAUTHENTICATED, "not_authenticated")


def test_slots_by_postal_code_or_address_and_shipments_of_their_customer(channel: grpc.Channel) -> None:
    delivery = delivery_pb2_grpc.DeliveryServiceStub(channel)
    shop = make_shop()
    ann, address = make_customer()
    slots = delivery.ListSlots(
        delivery_pb2.ListSlotsRequest(
            postal=delivery_pb2.PostalLocation(country="DE", postal_code="10115"), subtotal="60.00"
        ),
        timeout=5,
    )
    assert (slots.zone.code, slots.match, [s.id for s in slots.slots]) == (shop.zone.code, "exact", [shop.slot.pk])
    assert (slots.slots[0].available, slots.slots[0].fee.amount) == (True, "0.00")  # free over 50.00
    by_address = delivery.ListSlots(
        delivery_pb2.ListSlotsRequest(address_id=address.pk), metadata=bearer(ann), timeout=5
    )
    assert [s.id for s in by_address.slots] == [shop.slot.pk] and by_address.slots[0].fee.amount == "3.90"
    not_served = failure(
        delivery.ListSlots, delivery_pb2.ListSlotsRequest(postal=delivery_pb2.PostalLocation(postal_code="99999"))
    )
    assert (not_served.code, not_served.reason) == (grpc.StatusCode.NOT_FOUND, "postal_code_not_served")
    invalid = failure(
        delivery.ListSlots,
        delivery_pb2.ListSlotsRequest(postal=delivery_pb2.PostalLocation(postal_code="10115"), days=99),
    )
    assert invalid.code == grpc.StatusCode.INVALID_ARGUMENT and list(invalid.fields) == ["days"]

    shipment = make_shipment(shop.slot, ann)
    mine = delivery.GetShipment(
        delivery_pb2.GetShipmentRequest(order_ref=shipment.order_ref), metadata=bearer(ann), timeout=5
    )
    assert (mine.status, mine.slot.id, [s.to_status for s in mine.history]) == ("pending", shop.slot.pk, ["pending"])
    other = failure(
        delivery.GetShipment,
        delivery_pb2.GetShipmentRequest(order_ref=shipment.order_ref),
        metadata=bearer(make_customer()[0]),
    )
    assert (other.code, other.reason) == (grpc.StatusCode.NOT_FOUND, "shipment_not_found")
    dispatcher = bearer(make_staff("Dispatcher", "delivery"))
    assert (
        delivery.GetShipment(
            delivery_pb2.GetShipmentRequest(order_ref=shipment.order_ref), metadata=dispatcher, timeout=5
        ).order_ref
        == shipment.order_ref
    )
