"""The demo data: German VAT rates, food at the reduced rate, and an invoice on the demo
customer's order once its payment is authorized; loading again issues nothing more."""

from decimal import Decimal as D

import pytest

from accounts import demo as accounts_demo
from catalog import demo as catalog_demo
from delivery import demo as delivery_demo
from inventory import demo as inventory_demo
from invoicing import demo
from invoicing.models import Document
from orders import demo as orders_demo
from orders.models import Order
from orders.services import lifecycle
from tests.orders.helpers import pay

pytestmark = pytest.mark.django_db


def test_the_demo_order_is_invoiced_with_food_at_7_percent_once_it_is_confirmed() -> None:
    accounts_demo.load()
    assert catalog_demo.load()[1] == "VAT rates for DE: standard 19%, reduced 7% (food), zero 0% (3 new)"
    for app in (inventory_demo, delivery_demo, orders_demo):
        app.load()
    assert demo.load()[0].startswith("No demo invoice: the demo order is not confirmed yet")
    [order] = Order.objects.all()
    assert {line.tax_rate for line in order.lines.all()} == {D("7.00")}  # bread, milk, fruit
    lifecycle.confirm_order(order.ref, payment_id=pay(order).payment_id)

    [shown] = demo.load()
    [invoice] = Document.objects.all()
    assert demo.load() == [shown] and Document.objects.count() == 1
    order.refresh_from_db()
    assert invoice.gross == order.final_total == order.total  # picked in full
    assert [(line.description, f"{line.tax_rate}") for line in invoice.lines.all()][-1] == ("Delivery", "19.00")
    assert shown.startswith(f"Invoice {invoice.number} for order {order.number}: {invoice.net} net + {invoice.vat} VAT")
