"""The order's life cycle: confirmed by the payment, cancelled (by the customer before the cut-off,
by staff, by a failed or late payment) with everything it held given back, illegal moves refused
with nothing changed, and delivery's shipped and delivered moving the status."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from delivery.models import DeliverySlot, HoldState, SlotHold
from inventory.models import Reservation, ReservationState
from orders.errors import CancellationClosed, IllegalTransition, OrderNotFound
from orders.models import ActorKind, Order, OrderStatus
from orders.services import lifecycle, picking
from payments.models import Payment, PaymentState
from tests.inventory.helpers import assert_ledger_matches, events_of
from tests.orders.helpers import DECLINED, checked_out, make_customer, make_shop, pay, place, refreshed
from tests.payments.helpers import run_pending

pytestmark = pytest.mark.django_db


def confirmed_order(**shop_options: object) -> tuple[Order, object]:
    shop = make_shop(**shop_options)  # type: ignore[arg-type]
    customer, _ = checked_out(shop, (shop.bread, "2"), (shop.apples, "1.0"))
    order = pay(place(customer))
    order = lifecycle.confirm_order(order.ref, payment_id=order.payment_id) or order
    return order, shop


def assert_everything_given_back(order: Order, shop: object) -> None:
    reservation = Reservation.objects.get(pk=order.reservation_id)
    assert reservation.state == ReservationState.RELEASED
    assert SlotHold.objects.get(order_ref=order.ref).state == HoldState.RELEASED
    assert DeliverySlot.objects.get(pk=order.slot_id).reserved == 0
    for variant in (shop.bread, shop.apples):  # type: ignore[attr-defined]
        item = shop.item(variant)  # type: ignore[attr-defined]
        assert item.reserved == 0
    assert_ledger_matches()


def test_an_authorized_payment_confirms_the_order_once() -> None:
    order, _ = confirmed_order()
    assert order.status == OrderStatus.CONFIRMED and order.confirmed_at is not None
    assert lifecycle.confirm_order(order.ref, payment_id=order.payment_id) is not None  # the event again
    assert [h.to_status for h in order.history.all()] == ["pending_payment", "confirmed"]
    [confirmed] = events_of("order.confirmed")
    assert confirmed.order_id == order.ref and confirmed.total.amount == f"{order.total}"


def test_a_declined_payment_cancels_the_order_and_releases_stock_and_slot() -> None:
    shop = make_shop()
    customer, _ = checked_out(shop, (shop.bread, "2"), (shop.apples, "1.0"))
    order = pay(place(customer, card=DECLINED))
    assert Payment.objects.get(pk=order.payment_id).state == PaymentState.FAILED
    lifecycle.payment_failed(order.ref, payment_id=order.payment_id, failure="The card was declined.")
    order = refreshed(order)
    assert (order.status, order.cancelled_by) == (OrderStatus.CANCELLED, ActorKind.PAYMENT)
    assert "declined" in order.cancel_reason
    assert_everything_given_back(order, shop)
    [cancelled] = events_of("order.cancelled")
    assert cancelled.cancelled_by == "payment"


def test_the_customer_cancels_before_the_cut_off_and_the_authorization_is_voided() -> None:
    order, shop = confirmed_order()
    lifecycle.cancel_order(
        order.pk, by=ActorKind.CUSTOMER, actor=order.customer, customer=order.customer, reason="changed my mind"
    )
    order = refreshed(order)
    assert order.status == OrderStatus.CANCELLED
    assert_everything_given_back(order, shop)
    payment = Payment.objects.get(pk=order.payment_id)
    run_pending(payment)
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.VOIDED


def test_customers_cannot_cancel_after_the_cut_off_or_once_picking_started_or_others_orders() -> None:
    order, _ = confirmed_order()
    stranger, _ = make_customer()
    with pytest.raises(OrderNotFound):
        lifecycle.cancel_order(order.pk, by=ActorKind.CUSTOMER, customer=stranger)
    Order.objects.filter(pk=order.pk).update(cutoff_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(CancellationClosed):
        lifecycle.cancel_order(order.pk, by=ActorKind.CUSTOMER, customer=order.customer)
    Order.objects.filter(pk=order.pk).update(cutoff_at=timezone.now() + timedelta(hours=1))
    line = order.lines.first()
    assert line is not None
    picking.record_pick(order.pk, line_id=line.pk, picked_quantity=line.quantity)
    with pytest.raises(CancellationClosed):
        lifecycle.cancel_order(order.pk, by=ActorKind.CUSTOMER, customer=order.customer)
    assert refreshed(order).status == OrderStatus.PICKING


def test_illegal_moves_are_refused_and_change_nothing() -> None:
    order, _ = confirmed_order()
    before = refreshed(order)
    with pytest.raises(IllegalTransition):
        lifecycle.move(before, OrderStatus.DELIVERED, actor_kind=ActorKind.STAFF)
    lifecycle.cancel_order(order.pk, by=ActorKind.STAFF, reason="out of area")
    with pytest.raises(IllegalTransition):
        lifecycle.cancel_order(order.pk, by=ActorKind.STAFF)
    with pytest.raises(IllegalTransition):
        picking.pack_order(order.pk)
    after = refreshed(order)
    assert after.status == OrderStatus.CANCELLED and after.history.count() == 3


def test_an_unpaid_order_times_out_and_a_late_authorization_is_voided() -> None:
    shop = make_shop()
    customer, _ = checked_out(shop, (shop.bread, "3"))
    order = place(customer)
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=1))
    assert lifecycle.cancel_unpaid_orders() == 1
    order = refreshed(order)
    assert (order.status, order.cancelled_by) == (OrderStatus.CANCELLED, ActorKind.SYSTEM)
    assert Reservation.objects.get(pk=order.reservation_id).state == ReservationState.RELEASED
    assert SlotHold.objects.get(order_ref=order.ref).state == HoldState.RELEASED
    # The bank answers after all: the money must not stay held for a cancelled order.
    pay(order)
    lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    payment = Payment.objects.get(pk=order.payment_id)
    run_pending(payment)
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.VOIDED
    assert refreshed(order).status == OrderStatus.CANCELLED


def test_shipped_and_delivered_from_delivery_move_a_packed_order() -> None:
    order, _ = confirmed_order()
    for line in order.lines.all():
        picking.record_pick(order.pk, line_id=line.pk, picked_quantity=line.quantity)
    picking.pack_order(order.pk)
    at = datetime.now(UTC)
    lifecycle.record_shipped(order.ref, at=at, courier="7")
    assert refreshed(order).status == OrderStatus.OUT_FOR_DELIVERY
    lifecycle.record_delivered(order.ref, at=at + timedelta(minutes=20))
    lifecycle.record_delivered(order.ref, at=at + timedelta(minutes=21))  # the event again
    order = refreshed(order)
    assert order.status == OrderStatus.DELIVERED and order.delivered_at == at + timedelta(minutes=20)
    assert [h.to_status for h in order.history.all()][-3:] == ["packed", "out_for_delivery", "delivered"]
    assert order.final_total == order.total and order.final_total <= order.authorized_amount
    assert Decimal(0) < order.total
