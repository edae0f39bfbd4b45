"""Placing an order: one transaction turns the checked-out cart into an order (snapshots), a
booked place and the order's reservation, with the payment authorization queued; every refusal
leaves nothing behind."""

from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Variant
from delivery.models import HoldState, SlotHold
from events.bridge import OUTBOX_CHANNEL
from events.models import OutboxEvent
from inventory.models import Reservation, ReservationState
from orders.errors import CheckoutRequired, PriceChanged
from orders.models import Cart, CartState, Order, OrderStatus
from orders.services import cart as carts
from orders.services import placement
from orders.signals import order_created
from payments.models import Payment, PaymentState
from tests.inventory.helpers import events_of
from tests.orders.helpers import VISA, Shop, checked_out, make_shop, make_variant, place
from tests.promotions.helpers import promotion

pytestmark = pytest.mark.django_db


def test_placing_makes_the_order_books_the_place_keeps_the_stock_and_queues_the_authorization() -> None:
    shop = make_shop()
    customer, started = checked_out(shop, (shop.milk, "3"), (shop.apples, "1.5"))
    assert started.ready and started.priced.summary.subtotal == Decimal("8.10")

    order = place(customer)

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert (order.subtotal, order.delivery_fee, order.total) == (Decimal("8.10"), Decimal("3.90"), Decimal("12.00"))
    # The weighed apples (4.50) may be picked up to 10 % heavier: the authorization covers 0.45 more.
    assert order.authorized_amount == Decimal("12.45")
    lines = {line.sku: line for line in order.lines.all()}
    assert lines[shop.apples.sku].name == "Apples, loose" and lines[shop.apples.sku].quantity == Decimal("1.5")
    assert lines[shop.milk.sku].unit_price == Decimal("1.20") and lines[shop.milk.sku].line_total == Decimal("3.60")
    assert order.shipping_address["postal_code"] == "10115"

    hold = SlotHold.objects.get(order_ref=order.ref)
    assert hold.state == HoldState.BOOKED and hold.slot_id == shop.slot.pk
    reservation = Reservation.objects.get(pk=order.reservation_id)
    assert (reservation.owner_type, reservation.owner_id, reservation.state) == ("order", order.ref, "active")
    assert reservation.expires_at > shop.slot.ends_at
    payment = Payment.objects.get(pk=order.payment_id)
    assert (payment.state, payment.amount, payment.order_ref) == (PaymentState.PENDING, Decimal("12.45"), order.ref)
    assert Cart.objects.get(order=order).state == CartState.ORDERED

    # What placement wrote (one statement for the order and its lines) is what it returned and
    # announced, to the microsecond and the cent.
    stored = Order.objects.get(pk=order.pk)
    assert all(getattr(stored, f.attname) == getattr(order, f.attname) for f in Order._meta.concrete_fields)
    assert stored.placed_at.microsecond == order.placed_at.microsecond
    [created] = events_of("order.created")
    assert {line.line_id: line.sku for line in created.lines} == {str(line.pk): sku for sku, line in lines.items()}
    assert created.order_id == order.ref and created.total.amount == "12.00"
    assert created.shipping_address.postal_code == "10115" and len(created.lines) == 2
    assert created.delivery_slot_id == str(shop.slot.pk) and created.warehouse_code == "orders-store"


@pytest.mark.django_db(transaction=True)
def test_the_order_created_event_written_with_the_placement_wakes_the_relay_and_reaches_its_receivers() -> None:
    """The event's outbox row is written by the statement that records the placement: one row, the
    relay woken at the commit, and the signal's in-process receivers (metrics) still called."""
    shop = make_shop()
    customer, _ = checked_out(shop, (shop.milk, "3"), (shop.apples, "1.5"))
    heard: list[str] = []
    order_created.connect(
        lambda sender, payload, **kwargs: heard.append(payload.order_id), weak=False, dispatch_uid="test-heard"
    )
    try:
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as listener:
            listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            order = place(customer)
            woken = list(listener.notifies(timeout=10, stop_after=1))
    finally:
        order_created.disconnect(dispatch_uid="test-heard")
    assert heard == [order.ref]
    assert [notify.channel for notify in woken] == [OUTBOX_CHANNEL]
    [row] = OutboxEvent.objects.filter(event_type="order.created")
    assert row.aggregate_id == order.ref and row.aggregate_type == "order"
    [created] = events_of("order.created")
    assert created.order_id == order.ref and created.total.amount == str(order.total)


def _placement_queries(shop: Shop, lines: int) -> list[str]:
    variants = [make_variant(f"Item {n}", "2.00") for n in range(lines)]
    customer, _ = checked_out(shop, *[(variant, "3") for variant in variants])
    with CaptureQueriesContext(connection) as queries:
        placement.place_order(customer, payment_gateway="test_card", payment_method=VISA)
    return [query["sql"] for query in queries.captured_queries]


def test_placing_a_ten_line_order_takes_a_bounded_number_of_queries_whatever_the_lines() -> None:
    shop = make_shop()
    one, ten = _placement_queries(shop, 1), _placement_queries(shop, 10)
    # Saleor's checkout needed 111 queries for one line. This is the whole placement (order, lines,
    # booking, reservation, payment, history, event), savepoints included (only the test's own
    # transaction takes one now): 11 when measured (the order and its lines are one statement, so
    # are the payment and its authorization; one reads the running promotions, one the VAT rates;
    # the payment link, the history row, the cart's state and the order.created event are one
    # statement), 12 before the event joined them, 14 before that, 16 before that, 29 before its
    # savepoints and re-reads went.
    assert len(ten) <= 11, "\n".join(sql[:150] for sql in ten)
    assert len(ten) == len(one)


def test_a_price_change_since_the_summary_is_refused_with_the_new_total_and_nothing_is_placed() -> None:
    shop = make_shop()
    customer, started = checked_out(shop, (shop.bread, "4"))
    Variant.objects.filter(pk=shop.bread.pk).update(price=Decimal("2.70"))
    with pytest.raises(PriceChanged) as refused:
        placement.place_order(
            customer, payment_gateway="test_card", payment_method=VISA, expected_total=started.priced.summary.total
        )
    assert "14.70" in refused.value.message  # 4 x 2.70 + 3.90
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert SlotHold.objects.get(pk=started.hold.pk).state == HoldState.ACTIVE  # still the customer's


def test_a_price_and_a_promotion_that_change_after_checkout_are_charged_as_they_stand_at_placement() -> None:
    shop = make_shop()
    customer, started = checked_out(shop, (shop.bread, "4"), (shop.milk, "2"))
    assert started.priced.summary.subtotal == Decimal("12.40")  # 4 x 2.50 + 2 x 1.20
    Variant.objects.filter(pk=shop.bread.pk).update(price=Decimal("2.70"))
    promotion("Milk 10 % off", "item_percent", percent="10", variants=(shop.milk,))

    order = place(customer)  # no expected total: placement prices the cart again, exactly

    lines = {line.sku: line for line in order.lines.all()}
    assert (lines[shop.bread.sku].unit_price, lines[shop.bread.sku].line_total) == (Decimal("2.70"), Decimal("10.80"))
    assert lines[shop.milk.sku].discount_amount == Decimal("0.24")
    assert (order.subtotal, order.discount_total, order.total) == (Decimal("13.20"), Decimal("0.24"), Decimal("16.86"))


def test_a_cart_changed_after_checkout_must_be_checked_out_again() -> None:
    shop = make_shop()
    customer, started = checked_out(shop, (shop.bread, "4"))
    cart = carts.open_cart_of(customer)
    assert cart is not None
    carts.add_to_cart(cart, variant_id=shop.milk.pk, quantity="1")
    # The reservation no longer matched the lines, so it went back at once.
    assert Reservation.objects.get(pk=started.reservation.pk).state == ReservationState.RELEASED
    with pytest.raises(CheckoutRequired):
        place(customer)
    assert not Order.objects.exists()


def test_an_expired_hold_refuses_the_placement_and_leaves_nothing_half_placed() -> None:
    shop = make_shop()
    customer, started = checked_out(shop, (shop.bread, "4"))
    SlotHold.objects.filter(pk=started.hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Exception) as refused:
        place(customer)
    assert getattr(refused.value, "code", "") == "hold_expired"
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert Cart.objects.get(customer=customer).state == CartState.OPEN
    reservation = Reservation.objects.get(pk=started.reservation.pk)
    assert (reservation.owner_type, reservation.state) == ("cart", ReservationState.ACTIVE)
