"""Orders over HTTP: customers see and cancel only their own orders (others' answer 404), with the
picked changes and tracking inside; staff list, pick, pack, cancel and refund by role."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order, OrderStatus
from orders.services import lifecycle
from payments.models import Payment, PaymentTransaction, TransactionKind
from tests.api.support import error_of
from tests.orders.helpers import Shop, checked_out, make_shop, make_staff, pay, place, refreshed

pytestmark = pytest.mark.django_db


def client_for(user: object) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def confirmed_order(shop: Shop) -> Order:
    customer, _ = checked_out(shop, (shop.bread, "2"), (shop.apples, "1.5"), (shop.milk, "3"))
    order = pay(place(customer))
    confirmed = lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    assert confirmed is not None
    return confirmed


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def test_customers_see_only_their_own_orders(shop: Shop) -> None:
    mine, theirs = confirmed_order(shop), confirmed_order(shop)
    client = client_for(mine.customer)
    listed = client.get("/api/v1/orders/").json()
    assert [o["id"] for o in listed["results"]] == [mine.pk] and listed["results"][0]["number"] == mine.number
    detail = client.get(f"/api/v1/orders/{mine.pk}/").json()
    assert detail["status"] == "confirmed" and detail["can_cancel"] is True and len(detail["lines"]) == 3
    assert [h["to_status"] for h in detail["history"]] == ["pending_payment", "confirmed"]
    assert detail["total"] == "17.00" and detail["tracking"] is None  # 5.00 + 4.50 + 3.60 + 3.90
    error_of(client.get(f"/api/v1/orders/{theirs.pk}/"), 404, "order_not_found")
    error_of(client.post(f"/api/v1/orders/{theirs.pk}/cancel/", {}, format="json"), 404, "order_not_found")
    assert refreshed(theirs).status == OrderStatus.CONFIRMED
    error_of(APIClient().get("/api/v1/orders/"), 401)
    assert client.get("/api/v1/orders/?status=cancelled").json()["results"] == []


def test_a_customer_cancels_over_http_and_a_second_cancel_is_a_conflict(shop: Shop) -> None:
    order = confirmed_order(shop)
    client = client_for(order.customer)
    cancelled = client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "ordered twice"}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "ordered twice")
    error_of(client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json"), 409, "illegal_transition")
    error_of(client.post(f"/api/v1/orders/{order.pk}/cancel/", {"status": "delivered"}, format="json"), 400)


def test_warehouse_staff_pick_and_pack_from_the_picking_list(shop: Shop) -> None:
    order = confirmed_order(shop)
    warehouse = client_for(make_staff("Warehouse", "orders", "inventory", "catalog"))
    listing = warehouse.get(f"/api/v1/staff/orders/picking-list/?warehouse=orders-store&slot={shop.slot.pk}").json()
    assert [o["id"] for o in listing["orders"]] == [order.pk]
    assert {item["sku"]: item["quantity"] for item in listing["items"]} == {
        shop.bread.sku: "2",
        shop.apples.sku: "1.5",
        shop.milk.sku: "3",
    }
    lines = {line.variant_id: line.pk for line in order.lines.all()}
    picks = [
        {"line": lines[shop.bread.pk], "picked_quantity": "2"},
        {"line": lines[shop.apples.pk], "picked_quantity": "1.612"},
        {"line": lines[shop.milk.pk], "picked_quantity": "9"},
    ]
    error_of(
        warehouse.post(f"/api/v1/staff/orders/{order.pk}/pick/", {"lines": picks}, format="json"), 409, "pick_refused"
    )
    # All or nothing: the good lines of the refused basket were not recorded either.
    assert refreshed(order).status == OrderStatus.CONFIRMED
    assert not order.lines.filter(picked_quantity__isnull=False).exists()
    picks[2]["picked_quantity"] = "2"
    picked = warehouse.post(f"/api/v1/staff/orders/{order.pk}/pick/", {"lines": picks}, format="json")
    assert picked.status_code == 200 and picked.json()["status"] == "picking"
    error_of(warehouse.post(f"/api/v1/staff/orders/{order.pk}/pack/"), 400, "idempotency_key_required")
    packed = warehouse.post(f"/api/v1/staff/orders/{order.pk}/pack/", HTTP_IDEMPOTENCY_KEY="pack-1")
    assert packed.status_code == 200, packed.content
    body = packed.json()
    # 2 x 2.50 + 1.612 kg x 3.00 (4.836 -> 4.84) + 2 x 1.20 = 12.24, fee 3.90
    assert (body["status"], body["final_total"]) == ("packed", "16.14")
    assert {line["sku"]: line["change"] for line in body["lines"]} == {
        shop.bread.sku: None,
        shop.apples.sku: "heavier",
        shop.milk.sku: "short",
    }
    capture = PaymentTransaction.objects.get(payment_id=order.payment_id, kind=TransactionKind.CAPTURE)
    assert capture.amount == Decimal("16.14") < refreshed(order).authorized_amount
    customer_view = client_for(order.customer).get(f"/api/v1/orders/{order.pk}/").json()
    assert customer_view["final_total"] == "16.14" and customer_view["can_cancel"] is False


def test_staff_roles_decide_who_sees_acts_and_refunds(shop: Shop) -> None:
    order = confirmed_order(shop)
    dispatcher = client_for(make_staff("Dispatcher", "delivery"))
    error_of(dispatcher.get("/api/v1/staff/orders/"), 403)
    error_of(client_for(order.customer).get("/api/v1/staff/orders/"), 403)
    support = client_for(make_staff("Support", "orders"))
    listed = support.get(f"/api/v1/staff/orders/?status=confirmed&warehouse=orders-store&number={order.number}")
    assert [o["id"] for o in listed.json()["results"]] == [order.pk]
    assert support.get("/api/v1/staff/orders/?status=delivered").json()["results"] == []
    error_of(support.get("/api/v1/staff/orders/?status=lost"), 400)
    error_of(
        support.post(
            f"/api/v1/staff/orders/{order.pk}/refund/", {"reason": "bruised"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
        ),
        403,
    )
    finance = client_for(make_staff("Finance", "payments", "orders"))
    error_of(
        finance.post(
            f"/api/v1/staff/orders/{order.pk}/refund/", {"reason": "bruised"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
        ),
        409,
        "refund_refused",
    )  # not delivered yet
    cancelled = support.post(f"/api/v1/staff/orders/{order.pk}/cancel/", {"reason": "out of area"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_by"] == "staff"


def test_finance_refunds_part_of_a_delivered_order_and_the_status_follows_the_money(shop: Shop) -> None:
    from datetime import UTC, datetime

    from orders.services import picking, refunds
    from tests.payments.helpers import run_pending

    order = confirmed_order(shop)
    for line in order.lines.all():
        picking.record_pick(order.pk, line_id=line.pk, picked_quantity=line.quantity)
    picking.pack_order(order.pk)
    run_pending(Payment.objects.get(pk=order.payment_id))
    lifecycle.record_delivered(order.ref, at=datetime.now(UTC))
    finance = client_for(make_staff("Finance", "payments", "orders"))
    requested = finance.post(
        f"/api/v1/staff/orders/{order.pk}/refund/",
        {"amount": "2.50", "reason": "bruised"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r-2",
    )
    assert requested.status_code == 202, requested.content
    assert requested.json()["status"] == "delivered"  # the money has not moved yet
    payment = Payment.objects.get(pk=order.payment_id)
    run_pending(payment)
    refunds.record_refund(order.ref, total_refunded=Decimal("2.50"))  # what payment.refunded says
    order = refreshed(order)
    assert (order.status, order.refunded_amount) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("2.50"))
    finance.post(
        f"/api/v1/staff/orders/{order.pk}/refund/", {"reason": "all of it"}, format="json", HTTP_IDEMPOTENCY_KEY="r-3"
    )
    run_pending(payment)
    refunds.record_refund(order.ref, total_refunded=Payment.objects.get(pk=payment.pk).refunded_amount)
    assert refreshed(order).status == OrderStatus.REFUNDED
    error_of(
        finance.post(
            f"/api/v1/staff/orders/{order.pk}/refund/", {"reason": "more"}, format="json", HTTP_IDEMPOTENCY_KEY="r-4"
        ),
        409,
        "refund_refused",
    )


def test_order_pages_take_the_same_few_queries_however_many_orders_and_lines(shop: Shop) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.orders.helpers import make_customer

    customer, address = make_customer()

    def order_with(lines: int) -> Order:
        from orders.services import checkout
        from tests.orders.helpers import fill_cart, make_variant

        fill_cart(customer, *[(make_variant(f"Item {lines}-{n}", "3.00"), "2") for n in range(lines)])
        checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
        return place(customer)

    client = client_for(customer)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = order_with(1)
    list_one, detail_small = count("/api/v1/orders/"), count(f"/api/v1/orders/{small.pk}/")
    large = order_with(12)
    for _ in range(3):
        order_with(2)
    list_many, detail_large = count("/api/v1/orders/"), count(f"/api/v1/orders/{large.pk}/")
    assert list_one == list_many <= 4, (list_one, list_many)
    assert detail_small == detail_large <= 8, (detail_small, detail_large)
