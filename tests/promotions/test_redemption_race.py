"""The total limit of a voucher holds under concurrency: real threads, each with its own PostgreSQL
connection, place at the same moment with one code; exactly as many orders as the limit get it,
the others are refused with voucher_used_up and leave nothing behind; a cancellation gives a use back."""

from collections import Counter
from decimal import Decimal

import pytest

from config.celery import app
from orders.models import ActorKind, Order
from orders.services import cart as carts
from orders.services import lifecycle
from promotions.models import Promotion, Redemption
from tests.concurrency import run_together
from tests.orders.helpers import checked_out, make_shop, place
from tests.promotions.helpers import voucher

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_placements_with_a_code_limited_to_three_uses_give_exactly_three_discounted_orders() -> None:
    shop = make_shop()
    race = voucher("RACE", amount="5.00", threshold="10.00", usage_limit=3)
    customers = []
    for _ in range(8):
        customer, _ = checked_out(shop, (shop.bread, "6"))  # 15.00
        cart = carts.open_cart_of(customer)
        assert cart is not None
        carts.apply_voucher(cart, "race")
        customers.append(customer)

    def placing(index: int) -> str:
        try:
            return f"placed {place(customers[index]).total}"
        except Exception as refused:  # the refusal the customer sees
            return getattr(refused, "code", repr(refused))

    results = run_together(8, placing)

    # 15.00 - 5.00 + 3.90 delivery
    assert Counter(results) == {"placed 13.90": 3, "voucher_used_up": 5}, results
    assert Promotion.objects.get(pk=race.pk).times_used == 3
    orders = list(Order.objects.order_by("pk"))
    assert [order.discount_total for order in orders] == [Decimal("5.00")] * 3
    assert Redemption.objects.filter(released_at__isnull=True).count() == 3

    lifecycle.cancel_order(orders[0].pk, by=ActorKind.STAFF, reason="customer called")
    assert Promotion.objects.get(pk=race.pk).times_used == 2
    assert Redemption.objects.filter(released_at__isnull=True).count() == 2
    # The placements queued their payments' authorizations: a Celery worker of this test run
    # writing them while the database is flushed after the test deadlocks the flush.
    app.control.purge()
