"""Picking recomputes the discounts on what was picked, with the promotions the order got: a short
piece line loses its multi-buy, a weighed line picked lighter within the margin keeps it, a
substitute keeps the ordered item's promotion, the voucher stays (no threshold check again). The
capture is the discounted picked total, and a refund of everything gives back exactly that."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.services import cart as carts
from orders.services import checkout, lifecycle, picking, refunds
from payments.models import Payment, PaymentTransaction, TransactionKind
from tests.orders.helpers import make_customer, make_shop, make_variant, pay, place
from tests.payments.helpers import run_pending
from tests.promotions.helpers import promotion, voucher

pytestmark = pytest.mark.django_db


def test_shorts_weights_and_substitutions_recompute_the_discounts_and_the_capture() -> None:
    shop = make_shop()
    rye = make_variant("Rye bread", "2.20")
    promotion("Milk 3 for 2", "multi_buy", percent="100", group_size=3, variants=(shop.milk,))
    promotion("Apples: second kg half price", "multi_buy", percent="50", group_size=2, variants=(shop.apples,))
    promotion("Bread 10 % off", "item_percent", percent="10", variants=(shop.bread,))
    voucher("TWO", amount="2.00", threshold="15.00")
    customer, address = make_customer()
    cart = carts.open_cart_of(customer)
    assert cart is not None
    for variant, quantity in ((shop.milk, "3"), (shop.apples, "2.0"), (shop.bread, "4")):
        carts.add_to_cart(cart, variant_id=variant.pk, quantity=quantity)
    carts.apply_voucher(cart, "TWO")
    checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
    order = pay(place(customer))
    lifecycle.confirm_order(order.ref, payment_id=order.payment_id)

    # 3.60 + 6.00 + 10.00 = 19.60. Milk 1.20, apples 1.50, bread 1.00; then 2.00 over 2.40 / 4.50 /
    # 9.00 by largest remainder: 0.30 / 0.57 / 1.13. 19.60 - 5.70 + 3.90 = 17.80 (+ 0.60 margin).
    lines = {line.variant_id: line for line in order.lines.all()}
    milk, apples, bread = lines[shop.milk.pk], lines[shop.apples.pk], lines[shop.bread.pk]
    assert [milk.discount_amount, apples.discount_amount, bread.discount_amount] == [
        Decimal("1.50"),
        Decimal("2.07"),
        Decimal("2.13"),
    ]
    assert (order.discount_total, order.total, order.authorized_amount) == (
        Decimal("5.70"),
        Decimal("17.80"),
        Decimal("18.40"),
    )

    picking.record_picks(
        order.pk,
        [
            picking.Pick(milk.pk, "2"),  # short: no third carton, no free one
            picking.Pick(apples.pk, "1.874"),  # lighter, within the 10 % margin: still the half-price kg
            picking.Pick(bread.pk, "4", substitute_variant_id=rye.pk),  # at 2.20; the bread's 10 % stays
        ],
    )
    packed = picking.pack_order(order.pk)

    # Picked: 2.40 + 5.62 + 8.80 = 16.82. Milk 0, apples 1.50, rye 0.88; the voucher's 2.00 over
    # 2.40 / 4.12 / 7.92: 0.33 / 0.57 / 1.10. 16.82 - 4.38 + 3.90 = 16.34.
    final = {line.variant_id: line.final_discount_amount for line in packed.lines.all()}
    assert final == {shop.milk.pk: Decimal("0.33"), shop.apples.pk: Decimal("2.07"), shop.bread.pk: Decimal("1.98")}
    assert (packed.final_subtotal, packed.final_discount_total, packed.final_total) == (
        Decimal("16.82"),
        Decimal("4.38"),
        Decimal("16.34"),
    )
    capture = PaymentTransaction.objects.get(payment_id=order.payment_id, kind=TransactionKind.CAPTURE)
    assert capture.amount == Decimal("16.34")

    payment = Payment.objects.get(pk=order.payment_id)
    run_pending(payment)
    lifecycle.record_delivered(order.ref, at=datetime.now(UTC))
    refund = refunds.refund_order(order.pk, amount=None, reason="all of it", idempotency_key="r-1")
    assert refund.amount == Decimal("16.34")  # what was paid, the discounts respected
