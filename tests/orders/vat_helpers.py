"""A shop with German VAT rates and an order that mixes 7% and 19% goods, for the VAT and invoice
tests: placed, then picked short and with a substitute of another tax class, packed, captured."""

from datetime import date
from decimal import Decimal

from django.test import override_settings

from catalog.models import TaxRate, Variant
from catalog.taxes import TaxClass
from orders.models import Order
from orders.services import lifecycle, picking
from payments.models import Payment
from tests.orders.helpers import Shop, checked_out, make_variant, pay, place
from tests.payments.helpers import run_pending


def german_rates() -> None:
    """Reduced 5% for half a year, then 7% again; 19% standard, and a future 21% not yet in force."""
    for tax_class, rate, valid_from in (
        (TaxClass.STANDARD, "19.00", date(2007, 1, 1)),
        (TaxClass.STANDARD, "21.00", date(2099, 1, 1)),
        (TaxClass.REDUCED, "7.00", date(2007, 1, 1)),
        (TaxClass.REDUCED, "5.00", date(2020, 7, 1)),
        (TaxClass.REDUCED, "7.00", date(2021, 1, 1)),
        (TaxClass.ZERO, "0.00", date(2007, 1, 1)),
    ):
        TaxRate.objects.create(country="DE", tax_class=tax_class, rate=Decimal(rate), valid_from=valid_from)


def vat_items(shop: Shop) -> tuple[Variant, Variant]:
    """Milk and apples at the reduced rate; wine (8.99) and a gift basket of apples (per kg, 2.80)
    at the standard rate."""
    Variant.objects.filter(pk__in=[shop.milk.pk, shop.apples.pk]).update(tax_class=TaxClass.REDUCED)
    wine = make_variant("Wine", "8.99")
    basket = make_variant("Gift apples", "2.80", unit="kg", step="0.1", stock="50")
    return wine, basket


@override_settings(VAT_DELIVERY_FEE_RULE="dominant")
def placed_order(shop: Shop, wine: Variant) -> Order:
    """3 milk (3.60) and 2 kg apples (6.00) at 7%, a wine (8.99) at 19%, delivery 3.90: confirmed."""
    customer, _ = checked_out(shop, (shop.milk, "3"), (shop.apples, "2"), (wine, "1"))
    order = pay(place(customer))
    confirmed = lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    assert confirmed is not None
    return confirmed


@override_settings(VAT_DELIVERY_FEE_RULE="dominant")
def pick_and_pack(order: Order, shop: Shop, basket: Variant) -> Order:
    """Two milks of three; the gift basket instead of the apples (2 kg at 2.80); the wine."""
    lines = {line.variant_id: line for line in order.lines.all()}
    picking.record_picks(
        order.pk,
        [
            picking.Pick(lines[shop.milk.pk].pk, "2"),
            picking.Pick(lines[shop.apples.pk].pk, "2", substitute_variant_id=basket.pk),
            *[
                picking.Pick(line.pk, str(line.quantity))
                for vid, line in lines.items()
                if vid not in (shop.milk.pk, shop.apples.pk)
            ],
        ],
    )
    packed = picking.pack_order(order.pk)
    run_pending(Payment.objects.get(pk=order.payment_id))  # the capture
    return packed
