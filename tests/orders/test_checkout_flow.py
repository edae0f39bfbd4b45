"""The whole path across apps with the real processes: many customers checking out at once (real
threads on real Postgres), the payment authorized or declined by a real Celery worker, and the
order confirmed or cancelled by the orders consumers reading payments' events from real Kafka."""

import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from delivery.consumers import ShipmentsFromOrders
from delivery.models import DeliverySlot, HoldState, Shipment, ShipmentStatus, SlotHold
from delivery.services.shipments import Actor, transition_shipment
from events.consuming import ConsumerRunner
from events.relay import OutboxRelay
from inventory.models import Reservation, ReservationState
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentState
from tests.concurrency import run_together
from tests.delivery.factories import make_courier
from tests.inventory.helpers import assert_ledger_matches
from tests.orders.helpers import (
    DECLINED,
    VISA,
    fill_cart,
    make_customer,
    make_shop,
    make_staff,
    make_variant,
    relay_and_consume,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics", "settled_worker")]

PLACE = "/api/v1/checkout/place/"


def client_for(user: Any) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def settle(orders: list[Order]) -> list[Order]:
    """Let the worker answer the payments, relaying and consuming until no order waits for them."""

    def none_pending() -> bool:
        relay_and_consume()
        return not Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.PENDING_PAYMENT).exists()

    wait_for(none_pending, timeout=90)
    return list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"))


def test_a_hundred_customers_check_out_the_last_ten_units_and_exactly_ten_orders_are_placed(
    celery_worker_process: str,
) -> None:
    shop = make_shop(capacity=150)
    truffle = make_variant("Truffle", "25.00", stock="10")
    customers = [make_customer() for _ in range(100)]
    for user, _ in customers:
        fill_cart(user, (truffle, "1"))

    def customer(index: int) -> tuple[str, int, str]:
        user, address = customers[index]
        client = client_for(user)
        checkout = client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
        if checkout.status_code != 200:
            return "checkout", checkout.status_code, checkout.json()["code"]
        placed = client.post(
            PLACE,
            {"payment_gateway": "test_card", "payment_method": VISA, "expected_total": checkout.json()["total"]},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"place-{index}",
        )
        return "place", placed.status_code, placed.json().get("code") or placed.json()["status"]

    results = run_together(100, customer)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Counter(results) == {("place", 201, "pending_payment"): 10, ("checkout", 409, "out_of_stock"): 90}
    orders = list(Order.objects.all())
    assert len(orders) == 10
    # Nothing left behind by the 90 refused: no cart reservation, no held place.
    assert not Reservation.objects.filter(state=ReservationState.ACTIVE, owner_type="cart").exists()
    assert Reservation.objects.filter(state=ReservationState.ACTIVE, owner_type="order").count() == 10
    assert not SlotHold.objects.filter(state=HoldState.ACTIVE).exists()
    assert SlotHold.objects.filter(state=HoldState.BOOKED).count() == 10
    assert DeliverySlot.objects.get(pk=shop.slot.pk).reserved == 10
    item = shop.item(truffle)
    assert (item.on_hand, item.reserved) == (10, 10)
    assert_ledger_matches()

    confirmed = settle(orders)
    assert [o.status for o in confirmed] == [OrderStatus.CONFIRMED] * 10
    assert set(Payment.objects.values_list("state", flat=True)) == {PaymentState.AUTHORIZED}


def test_one_place_request_sent_ten_times_at_once_places_one_order(celery_worker_process: str) -> None:
    shop = make_shop()
    user, address = make_customer()
    fill_cart(user, (shop.bread, "2"), (shop.apples, "1.5"))
    client_for(user).post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
    body = {"payment_gateway": "test_card", "payment_method": VISA}

    def place(_: int) -> tuple[int, Any]:
        response = client_for(user).post(PLACE, body, format="json", HTTP_IDEMPOTENCY_KEY="one-order-please")
        return response.status_code, response.json().get("id") or response.json()["code"]

    results = run_together(10, place)
    assert not [r for r in results if isinstance(r, BaseException)], results
    [order] = Order.objects.all()
    # The first answers 201; the rest replay it, or hear that it is still running (409) and retry.
    assert {r for r in results if r[0] == 201} == {(201, order.pk)}
    assert all(r in ((201, order.pk), (409, "idempotency_request_in_progress")) for r in results), results
    assert Payment.objects.count() == 1
    replay = client_for(user).post(PLACE, body, format="json", HTTP_IDEMPOTENCY_KEY="one-order-please")
    assert (replay.status_code, replay.json()["id"]) == (201, order.pk)
    other = client_for(user).post(
        PLACE, {**body, "payment_method": "5555555555554444"}, format="json", HTTP_IDEMPOTENCY_KEY="one-order-please"
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Order.objects.count() == 1
    [confirmed] = settle([order])
    assert confirmed.status == OrderStatus.CONFIRMED


def test_a_declined_card_cancels_the_order_and_gives_the_stock_and_the_place_back(celery_worker_process: str) -> None:
    shop = make_shop()
    user, address = make_customer()
    fill_cart(user, (shop.bread, "2"), (shop.apples, "1.5"))
    client = client_for(user)
    client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
    placed = client.post(
        PLACE,
        {"payment_gateway": "test_card", "payment_method": DECLINED},
        format="json",
        HTTP_IDEMPOTENCY_KEY="declined",
    )
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(pk=placed.json()["id"])
    assert DeliverySlot.objects.get(pk=shop.slot.pk).reserved == 1

    [cancelled] = settle([order])

    assert (cancelled.status, cancelled.cancelled_by) == (OrderStatus.CANCELLED, "payment")
    assert Payment.objects.get(pk=order.payment_id).state == PaymentState.FAILED
    assert Reservation.objects.get(pk=order.reservation_id).state == ReservationState.RELEASED
    assert (shop.item(shop.bread).reserved, shop.item(shop.apples).reserved) == (0, 0)
    assert SlotHold.objects.get(order_ref=order.ref).state == HoldState.RELEASED
    assert DeliverySlot.objects.get(pk=shop.slot.pk).reserved == 0
    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["status"] == "cancelled" and "declined" in detail["cancel_reason"]
    assert_ledger_matches()


def test_from_checkout_to_doorstep_and_a_refund_through_the_real_worker_and_kafka(celery_worker_process: str) -> None:
    shop = make_shop()
    make_courier("Anna", shop.zone)
    user, address = make_customer()
    fill_cart(user, (shop.bread, "2"), (shop.apples, "1.5"))
    client = client_for(user)
    client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}, format="json")
    placed = client.post(
        PLACE, {"payment_gateway": "test_card", "payment_method": VISA}, format="json", HTTP_IDEMPOTENCY_KEY="doorstep"
    )
    [order] = settle([Order.objects.get(pk=placed.json()["id"])])
    assert order.status == OrderStatus.CONFIRMED
    # Delivery makes the shipment from order.created and order.confirmed.
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)
    ConsumerRunner(ShipmentsFromOrders(), retry_backoff=0.01).run(threading.Event(), until_idle=True)  # type: ignore[arg-type]
    shipment = Shipment.objects.get(order_ref=order.ref)

    warehouse = client_for(make_staff("Warehouse", "orders"))
    lines = [{"line": line.pk, "picked_quantity": f"{line.quantity}"} for line in order.lines.all()]
    assert warehouse.post(f"/api/v1/staff/orders/{order.pk}/pick/", {"lines": lines}, format="json").status_code == 200
    assert warehouse.post(f"/api/v1/staff/orders/{order.pk}/pack/", HTTP_IDEMPOTENCY_KEY="p").status_code == 200
    dispatcher = Actor(user_id=None, label="test dispatcher")
    for status in (ShipmentStatus.PICKING, ShipmentStatus.PACKED, ShipmentStatus.OUT_FOR_DELIVERY):
        transition_shipment(shipment.pk, status, actor=dispatcher)
    relay_and_consume()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.OUT_FOR_DELIVERY
    transition_shipment(shipment.pk, ShipmentStatus.DELIVERED, actor=dispatcher)
    relay_and_consume()
    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["status"] == "delivered" and detail["tracking"]["status"] == "delivered"
    assert [h["to_status"] for h in detail["history"]] == [
        "pending_payment",
        "confirmed",
        "picking",
        "packed",
        "out_for_delivery",
        "delivered",
    ]
    wait_for(lambda: Payment.objects.get(pk=order.payment_id).state == PaymentState.CAPTURED)

    finance = client_for(make_staff("Finance", "payments", "orders"))
    refund = finance.post(
        f"/api/v1/staff/orders/{order.pk}/refund/",
        {"amount": "1.00", "reason": "bruised"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r",
    )
    assert refund.status_code == 202, refund.content
    wait_for(lambda: Payment.objects.get(pk=order.payment_id).refunded_amount == Decimal("1.00"))
    relay_and_consume()
    refunded = Order.objects.get(pk=order.pk)
    assert (refunded.status, refunded.refunded_amount) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("1.00"))


def wait_for(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker and the consumers did not get there in time"
        time.sleep(0.2)
