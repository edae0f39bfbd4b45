"""The demo data: German VAT rates, food at the reduced rate, and an invoice on the demo
customer's order once its payment is authorized; loading again issues nothing more."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from invoicing import demo
from invoicing.models import Document
from orders.models import Order
from orders.services import lifecycle
from tests.orders.helpers import pay

pytestmark = pytest.mark.django_db


def test_the_demo_order_is_invoiced_with_food_at_7_percent_once_it_is_confirmed() -> None:
    output = StringIO()
    call_command("load_demo_data", stdout=output)
    lines = output.getvalue().splitlines()
    assert "[catalog] VAT rates for DE: standard 19%, reduced 7% (food), zero 0% (3 new)" in lines
    assert "[invoicing] No demo invoice: the demo order is not confirmed yet" in " ".join(lines)
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
