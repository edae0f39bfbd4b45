"""The demo data gives the demo customer one order, placed through the services after the apps it
needs loaded theirs, and a purchase limit; loading it again adds nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts import demo as accounts_demo
from accounts.demo import DEMO_CUSTOMER_EMAIL
from accounts.models import User
from catalog import demo as catalog_demo
from catalog.models import Variant
from delivery import demo as delivery_demo
from delivery.models import HoldState, SlotHold
from inventory import demo as inventory_demo
from inventory.models import Reservation, ReservationState
from orders import demo
from orders.models import Order, OrderStatus, PurchaseLimit
from orders.services import cart as carts
from payments.models import Payment

pytestmark = pytest.mark.django_db


def load_demo_data() -> list[str]:
    output = StringIO()
    call_command("load_demo_data", stdout=output)
    return output.getvalue().splitlines()


def test_the_demo_customer_gets_one_placed_order_and_a_limit_however_often_it_loads() -> None:
    first = load_demo_data()
    again = load_demo_data()

    [order] = Order.objects.all()
    assert order.customer.email == DEMO_CUSTOMER_EMAIL and order.status == OrderStatus.PENDING_PAYMENT
    [limit] = PurchaseLimit.objects.select_related("variant")
    assert (limit.variant.sku, limit.max_quantity) == (demo.LIMITED_SKU, demo.LIMIT)

    lines = list(order.lines.all())
    assert {line.sku for line in lines} == {sku for sku, _ in demo.BASKET}
    assert [line.quantity for line in lines if line.unit == "kg"] == [Decimal("1.2")]  # the weighed bananas
    assert order.subtotal == Decimal("18.62") >= order.zone.minimum_order
    assert order.shipping_address["postal_code"] == "10115" and order.warehouse_code == "demo-store"

    hold = SlotHold.objects.get(order_ref=order.ref)
    assert (hold.state, hold.slot_id) == (HoldState.BOOKED, order.slot_id)
    assert order.cutoff_at > order.placed_at
    reservation = Reservation.objects.get(owner_type="order", owner_id=order.ref)
    assert (reservation.pk, reservation.state) == (order.reservation_id, ReservationState.ACTIVE)
    payment = Payment.objects.get(order_ref=order.ref)
    assert (payment.pk, payment.gateway, payment.amount) == (
        order.payment_id,
        "cash_on_delivery",
        order.authorized_amount,
    )

    # The command runs the apps in INSTALLED_APPS order: orders after everything its order needs.
    apps = [line.split("]")[0].lstrip("[") for line in first]
    assert apps.index("orders") > max(
        apps.index(label) for label in ("accounts", "catalog", "inventory", "delivery", "payments")
    )
    mine = [line for line in first if line.startswith("[orders]")]
    assert mine[0] == "[orders] Purchase limit: at most 6 of FRU-STR-500 (Strawberries, 500 g) per order"
    assert mine[1].startswith(f"[orders] Order {order.number} of {DEMO_CUSTOMER_EMAIL}: 4 items")
    assert f"[orders] Order {order.number} of {DEMO_CUSTOMER_EMAIL} is there already (pending payment)." in again


def test_a_cart_the_demo_customer_filled_themselves_is_left_alone() -> None:
    for app in (accounts_demo, catalog_demo, inventory_demo, delivery_demo):
        app.load()
    customer = User.objects.get(email=DEMO_CUSTOMER_EMAIL)
    cart = carts.open_cart_of(customer)
    assert cart is not None
    carts.add_to_cart(cart, variant_id=Variant.objects.get(sku="FRU-AVO-1").pk, quantity="3")

    assert demo.load()[1] == f"No demo order: the cart of {DEMO_CUSTOMER_EMAIL} holds items already, left as they are."
    assert not Order.objects.exists()
    assert [(line.variant.sku, line.quantity) for line in cart.lines.all()] == [("FRU-AVO-1", Decimal(3))]

    carts.clear_cart(cart)
    assert demo.load()[1].startswith("Order ") and Order.objects.filter(customer=customer).count() == 1
