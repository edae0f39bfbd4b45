"""Promotions and vouchers on the real paths: the cart and the checkout show each discount and why
a voucher does not apply; placement snapshots the discounts on the order lines and counts the
voucher's use; a cancelled order gives it back; the OpenAPI document describes all of it."""

from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from orders.models import Order
from promotions.models import Promotion, Redemption
from tests.api.support import signed_in
from tests.api.test_schema import check
from tests.inventory.helpers import events_of
from tests.orders.helpers import make_customer, make_shop
from tests.promotions.helpers import promotion, voucher

pytestmark = pytest.mark.django_db


def test_the_cart_checkout_and_order_show_each_discount_and_why_a_voucher_does_not_apply() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    shop = make_shop()
    promotion("Milk 3 for 2", "multi_buy", percent="100", group_size=3, variants=(shop.milk,))
    save5 = voucher("SAVE5", amount="5.00", threshold="20.00", per_customer_limit=1, usage_limit=10)
    customer, address = make_customer()
    client = signed_in(customer)

    def run(method: str, template: str, response: Any) -> dict[str, Any]:
        check(schema, method, template, response)
        return response.json()

    cart = run(
        "POST", "/api/v1/cart/lines/", client.post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "3"})
    )
    assert (cart["subtotal"], cart["discount_total"], cart["lines"][0]["discount_amount"]) == ("3.60", "1.20", "1.20")
    assert cart["discounts"] == [
        {
            "promotion": cart["discounts"][0]["promotion"],
            "name": "Milk 3 for 2",
            "kind": "multi_buy",
            "code": None,
            "amount": "1.20",
        }
    ]

    cart = run("POST", "/api/v1/cart/voucher/", client.post("/api/v1/cart/voucher/", {"code": " save5 "}))
    assert cart["voucher"] == {
        "code": "SAVE5",
        "applied": False,
        "reason": "voucher_below_minimum",
        "message": "The basket is below this voucher's minimum.",
    }
    missing = client.post("/api/v1/cart/voucher/", {"code": "NOPE"})
    run("POST", "/api/v1/cart/voucher/", missing)
    assert (missing.status_code, missing.json()["code"]) == (404, "voucher_not_found")

    client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "8"})  # 20.00
    # Goods 2.40 + 20.00 = 22.40 reach the minimum: 5.00 off, split 0.5357 / 4.4643 -> 0.54 and 4.46.
    cart = run("GET", "/api/v1/cart/", client.get("/api/v1/cart/"))
    assert cart["voucher"]["applied"] and cart["discount_total"] == "6.20"
    assert [(line["sku"], line["line_total"], line["discount_amount"]) for line in cart["lines"]] == [
        (shop.milk.sku, "3.60", "1.74"),
        (shop.bread.sku, "20.00", "4.46"),
    ]
    started = run(
        "POST", "/api/v1/checkout/", client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk})
    )
    # 23.60 - 6.20 + 3.90 delivery = 21.30
    assert (started["subtotal"], started["discount_total"], started["delivery_fee"], started["total"]) == (
        "23.60",
        "6.20",
        "3.90",
        "21.30",
    )
    assert [(d["name"], d["code"], d["amount"]) for d in started["discounts"]] == [
        ("Milk 3 for 2", None, "1.20"),
        ("Voucher SAVE5", "SAVE5", "5.00"),
    ]

    placed = client.post(
        "/api/v1/checkout/place/",
        {"payment_gateway": "test_card", "payment_method": "4242424242424242", "expected_total": "21.30"},
        HTTP_IDEMPOTENCY_KEY="place-1",
    )
    order = run("POST", "/api/v1/checkout/place/", placed)
    assert (order["total"], order["discount_total"], order["delivery_discount"]) == ("21.30", "6.20", "0.00")
    assert [line["discount_amount"] for line in order["lines"]] == ["1.74", "4.46"]
    [redeemed] = events_of("promotion.redeemed")
    assert [(p.name, p.code, p.amount.amount) for p in redeemed.promotions] == [
        ("Milk 3 for 2", "", "1.20"),
        ("Voucher SAVE5", "SAVE5", "5.00"),
    ]
    assert redeemed.discount_total.amount == "6.20" and redeemed.order_id == str(order["id"])
    [created] = events_of("order.created")
    assert created.discount_total.amount == "6.20" and created.lines[1].discount_amount.amount == "4.46"
    assert Promotion.objects.get(pk=save5.pk).times_used == 1

    # The per-customer limit: the next cart shows why the code no longer applies.
    client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "8"})
    client.post("/api/v1/cart/voucher/", {"code": "SAVE5"})
    assert client.get("/api/v1/cart/").json()["voucher"]["reason"] == "voucher_customer_limit_reached"

    # Cancelling the order gives the use back: the code applies again.
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel/", {})
    assert cancelled.status_code == 200 and Promotion.objects.get(pk=save5.pk).times_used == 0
    assert Redemption.objects.filter(order_ref=str(order["id"]), released_at__isnull=False).count() == 2
    assert client.get("/api/v1/cart/").json()["voucher"]["applied"] is True
    removed = run("DELETE", "/api/v1/cart/voucher/", client.delete("/api/v1/cart/voucher/"))
    assert removed["voucher"] is None and removed["discount_total"] == "0.00"
    assert Order.objects.get(pk=order["id"]).discount_total == Decimal("6.20")


def test_free_delivery_and_a_first_order_discount_at_checkout() -> None:
    shop = make_shop()
    promotion("Free delivery over 10", "free_delivery", threshold="10.00")
    promotion("Welcome", "first_order", percent="10")
    customer, address = make_customer()
    client = signed_in(customer)
    client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "5"})  # 12.50
    started = client.post("/api/v1/checkout/", {"address": address.pk, "slot": shop.slot.pk}).json()
    # 10 % of 12.50 = 1.25; the basket is then 11.25 >= 10.00: the 3.90 fee is taken off.
    assert (started["discount_total"], started["delivery_fee"], started["delivery_discount"], started["total"]) == (
        "1.25",
        "3.90",
        "3.90",
        "11.25",
    )
    assert [(d["kind"], d["amount"]) for d in started["discounts"]] == [
        ("first_order", "1.25"),
        ("free_delivery", "3.90"),
    ]
