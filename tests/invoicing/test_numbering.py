"""Gapless numbering under concurrency (docs/decisions/0053): 50 orders packed at the same moment
by real threads on PostgreSQL, each invoiced by its own consumer, some of which roll back after
taking a number: the invoices carry exactly the numbers 1 to 50 of the year, each once."""

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from invoicing import services
from invoicing.models import Document
from orders.models import Order, OrderLine, OrderStatus
from orders.services import picking
from tests.concurrency import run_together
from tests.orders.helpers import make_customer, make_shop

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


def picked_orders(count: int) -> list[int]:
    """Orders being picked, their one line picked in full (no payment or reservation to settle)."""
    shop = make_shop()
    customer, _ = make_customer()
    ids = []
    for _ in range(count):
        order = Order.objects.create(
            customer=customer,
            status=OrderStatus.PICKING,
            currency="EUR",
            subtotal=D("2.40"),
            delivery_fee=D("3.90"),
            total=D("6.30"),
            authorized_amount=D("6.30"),
            shipping_address={
                "recipient_name": "Ann Shopper",
                "line1": "Invalidenstr. 1",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
            },
            zone=shop.zone,
            slot=shop.slot,
            slot_starts_at=shop.slot.starts_at,
            slot_ends_at=shop.slot.ends_at,
            cutoff_at=shop.slot.cutoff_at,
            warehouse_code="orders-store",
            payment_gateway="cash_on_delivery",
            tax_country="DE",
            tax_date=timezone.localdate(),
            delivery_tax_rate=D("19.00"),
            delivery_vat_amount=D("0.62"),
        )
        OrderLine.objects.create(
            order=order,
            variant=shop.milk,
            sku=shop.milk.sku,
            name="Milk",
            unit="piece",
            unit_price=D("1.20"),
            quantity=D("2"),
            line_total=D("2.40"),
            picked_quantity=D("2"),
            picked_unit_price=D("1.20"),
            final_line_total=D("2.40"),
            tax_class="reduced",
            tax_rate=D("7.00"),
            vat_amount=D("0.16"),
        )
        ids.append(order.pk)
    return ids


def test_fifty_orders_packed_at_once_get_invoice_numbers_without_gaps_or_duplicates() -> None:
    ids = picked_orders(50)

    def packer(index: int) -> str:
        picking.pack_order(ids[index])
        if index % 10 == 0:  # a consumer that fails after taking its number: the number comes back
            try:
                with transaction.atomic():
                    services.issue_invoice(ids[index])
                    raise RolledBack()
            except RolledBack:
                pass
        return services.issue_invoice(ids[index]).number

    numbers = run_together(50, packer)
    assert not [n for n in numbers if isinstance(n, BaseException)], numbers
    invoices = Document.objects.filter(kind="invoice")
    assert sorted(invoices.values_list("sequence", flat=True)) == list(range(1, 51))
    assert sorted(invoices.values_list("order_id", flat=True)) == sorted(ids)
    assert len(set(numbers)) == 50 and all(invoice.gross == D("6.30") for invoice in invoices)
