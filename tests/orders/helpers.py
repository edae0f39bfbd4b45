"""Building blocks for the orders tests: a small shop (catalog, stock, a zone with slots), customers
with an address, carts checked out through the services, and what the payment worker and the
event consumers do, run in-process when a test does not need the real processes."""

import itertools
import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission

from accounts.models import Address, User
from catalog.models import Category, Product, Variant
from delivery.models import DeliverySlot, Zone
from events.consuming import ConsumerRunner
from events.relay import OutboxRelay
from inventory.models import StockItem
from orders.consumers import OrdersFromDelivery, OrdersFromPayments
from orders.models import Order
from orders.services import cart as carts
from orders.services import checkout, placement
from payments.models import Payment
from tests.delivery.factories import make_slot, make_zone
from tests.inventory.helpers import stocked
from tests.payments.helpers import run_pending

WAREHOUSE = "orders-store"
VISA = "4242424242424242"
DECLINED = "4000000000000002"
_numbers = itertools.count(1)


@dataclass
class Shop:
    zone: Zone
    slot: DeliverySlot
    milk: Variant  # per piece, 1.20
    apples: Variant  # per kg in 0.1 kg steps, 3.00
    bread: Variant  # per piece, 2.50

    def item(self, variant: Variant) -> StockItem:
        return StockItem.objects.get(variant=variant, warehouse__code=WAREHOUSE)


def make_variant(name: str, price: str, *, unit: str = "piece", step: str = "1", stock: str = "100") -> Variant:
    n = next(_numbers)
    category, _ = Category.objects.get_or_create(slug="orders-tests", defaults={"name": "Orders tests", "path": "/"})
    product = Product.objects.create(name=name, slug=f"orders-{n}", category=category)
    variant = Variant.objects.create(
        product=product,
        sku=f"ORD-{n}",
        name="" if unit == "piece" else "loose",
        price=Decimal(price),
        currency="EUR",
        unit=unit,
        step=Decimal(step),
    )
    if stock:
        stocked(variant, stock, WAREHOUSE)
    return variant


def make_shop(*, capacity: int = 20, minimum: str = "5.00", starts_in: timedelta = timedelta(hours=6)) -> Shop:
    zone = make_zone(f"zone-{next(_numbers)}", exact=("10115",), minimum=minimum, fee="3.90", free_over="50.00")
    zone.warehouse_code = WAREHOUSE
    zone.save()
    milk = make_variant("Milk 1 l", "1.20")
    apples = make_variant("Apples", "3.00", unit="kg", step="0.1", stock="50")
    bread = make_variant("Bread", "2.50")
    return Shop(zone, make_slot(zone, capacity=capacity, starts_in=starts_in), milk, apples, bread)


def make_customer(email: str | None = None) -> tuple[User, Address]:
    user = User.objects.create_user(email or f"shopper{next(_numbers)}@example.com", None)
    address = Address.objects.create(
        user=user,
        recipient_name="Ann Shopper",
        line1="Invalidenstr. 1",
        city="Berlin",
        postal_code="10115",
        country="DE",
        is_default=True,
    )
    return user, address


def make_staff(role: str, *apps: str) -> User:
    """A staff member whose group grants every permission of these apps."""
    user = User.objects.create_user(f"{role.lower()}{next(_numbers)}@example.com", None, is_staff=True)
    group, _ = Group.objects.get_or_create(name=f"test {role}")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=apps))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


def fill_cart(customer: User, *lines: tuple[Variant, str]) -> None:
    cart = carts.open_cart_of(customer)
    assert cart is not None
    for variant, quantity in lines:
        carts.add_to_cart(cart, variant_id=variant.pk, quantity=quantity)


def checked_out(
    shop: Shop, *lines: tuple[Variant, str], customer: tuple[User, Address] | None = None
) -> tuple[User, checkout.Checkout]:
    user, address = customer or make_customer()
    fill_cart(user, *lines)
    return user, checkout.start_checkout(user, address_id=address.pk, slot_id=shop.slot.pk)


def place(customer: User, card: str = VISA) -> Order:
    return placement.place_order(customer, payment_gateway="test_card", payment_method=card)


def pay(order: Order) -> Order:
    """What the payment worker does with the order's authorization, in this process."""
    assert order.payment_id is not None
    run_pending(Payment.objects.get(pk=order.payment_id))
    return Order.objects.get(pk=order.pk)


def relay_and_consume() -> None:
    """Publish the outbox to Kafka and let the orders consumers apply what arrived."""
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)
    for consumer in (OrdersFromPayments(), OrdersFromDelivery()):
        ConsumerRunner(consumer, retry_backoff=0.01).run(threading.Event(), until_idle=True)  # type: ignore[arg-type]


def refreshed(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)
