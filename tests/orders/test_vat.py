"""VAT on carts and orders (docs/decisions/0052): the rates of the delivery country in force on the
day, each line rounded on its own, the delivery fee at its own rate, the snapshot on the order at
placement, and picking (shorts, substitutes of another class) recomputing it."""

from decimal import Decimal as D
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders.models import OrderLine
from tests.orders.helpers import checked_out, make_shop, place
from tests.orders.vat_helpers import german_rates, pick_and_pack, placed_order, vat_items
from tests.promotions.helpers import promotion

pytestmark = pytest.mark.django_db


def rows(vat: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(r["rate"], r["net"], r["vat"], r["gross"]) for r in vat["rates"]]


def test_an_order_snapshots_vat_per_line_and_fee_at_placement_and_picking_recomputes_it() -> None:
    shop = make_shop()
    german_rates()
    wine, basket = vat_items(shop)
    order = placed_order(shop, wine)
    lines = {line.sku: line for line in OrderLine.objects.filter(order=order)}
    assert [(line.tax_class, line.tax_rate, line.vat_amount) for line in lines.values()] == [
        ("reduced", D("7.00"), D("0.24")),  # 3.60
        ("reduced", D("7.00"), D("0.39")),  # 6.00
        ("standard", D("19.00"), D("1.44")),  # 8.99; 21% starts in 2099
    ]
    # Dominant rule: 9.60 of goods at 7% against 8.99 at 19%, so the fee is taxed at 7%.
    assert (order.tax_country, order.delivery_tax_rate, order.delivery_vat_amount) == ("DE", D("7.00"), D("0.26"))
    client = APIClient()
    client.force_authenticate(order.customer)
    placed = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert rows(placed["vat"]) == [("19.00", "7.55", "1.44", "8.99"), ("7.00", "12.61", "0.89", "13.50")]
    assert (placed["vat"]["net"], placed["vat"]["vat"], placed["vat"]["gross"]) == ("20.16", "2.33", "22.49")
    assert placed["vat"]["gross"] == placed["total"]
    assert [(line["tax_rate"], line["vat_amount"]) for line in placed["lines"]] == [
        ("7.00", "0.24"),
        ("7.00", "0.39"),
        ("19.00", "1.44"),
    ]

    packed = pick_and_pack(order, shop, basket)
    # Two milks (2.40 at 7%), the gift basket at 19% for the apples (5.60), the wine: the largest
    # share is at 19% now, and the fee follows it.
    assert (packed.final_total, packed.delivery_tax_rate, packed.delivery_vat_amount) == (
        D("20.89"),
        D("19.00"),
        D("0.62"),
    )
    picked = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert [(line["change"], line["tax_class"], line["tax_rate"], line["vat_amount"]) for line in picked["lines"]] == [
        ("short", "reduced", "7.00", "0.16"),
        ("substituted", "standard", "19.00", "0.89"),
        (None, "standard", "19.00", "1.44"),
    ]
    assert rows(picked["vat"]) == [("19.00", "15.54", "2.95", "18.49"), ("7.00", "2.24", "0.16", "2.40")]
    assert (picked["vat"]["vat"], picked["vat"]["gross"], picked["final_total"]) == ("3.11", "20.89", "20.89")


def test_the_cart_and_checkout_show_vat_per_rate_with_the_fee_under_its_rate() -> None:
    from tests.orders.helpers import checked_out

    shop = make_shop()
    german_rates()
    wine, _ = vat_items(shop)
    customer, _ = checked_out(shop, (shop.milk, "3"), (wine, "2"))  # 3.60 at 7%, 17.98 at 19%
    client = APIClient()
    client.force_authenticate(customer)
    cart = client.get("/api/v1/cart/").json()
    assert [(line["tax_class"], line["tax_rate"], line["vat_amount"]) for line in cart["lines"]] == [
        ("reduced", "7.00", "0.24"),
        ("standard", "19.00", "2.87"),
    ]
    assert rows(cart["vat"]) == [("19.00", "15.11", "2.87", "17.98"), ("7.00", "3.36", "0.24", "3.60")]
    checkout = client.get("/api/v1/checkout/").json()
    # The standard rule (the default): the fee 3.90 at 19% (0.62) joins the 19% row.
    assert rows(checkout["vat"]) == [("19.00", "18.39", "3.49", "21.88"), ("7.00", "3.36", "0.24", "3.60")]
    assert checkout["vat"]["gross"] == checkout["total"] == "25.48"


def test_a_discount_lowers_the_taxable_base_of_the_line_it_applies_to() -> None:
    shop = make_shop()
    german_rates()
    wine, _ = vat_items(shop)
    promotion("Half-price wine", "item_percent", variants=(wine,), percent="50")
    customer, _ = checked_out(shop, (wine, "1"))
    order = place(customer)
    [line] = OrderLine.objects.filter(order=order)
    # 8.99 - 4.50 (half, rounded half up) = 4.49 taxed at 19%: 0.72, not the 1.44 of the full price.
    assert (line.discount_amount, line.tax_rate, line.vat_amount) == (D("4.50"), D("19.00"), D("0.72"))
    client = APIClient()
    client.force_authenticate(customer)
    placed = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert placed["vat"]["gross"] == placed["total"]  # what is paid is what is taxed
