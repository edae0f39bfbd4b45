"""Picking: short picks, weighed items picked lighter or heavier, substitutes within the customer's
wishes; packing commits what left the shelves, captures the picked total (less than authorized
when short) and tells the customer what changed."""

from decimal import Decimal

import pytest

from catalog.models import Variant
from inventory.models import Reservation, ReservationState
from orders.errors import LinesNotPicked, PickRefused, SubstitutionNotAllowed
from orders.models import Order, OrderStatus, Substitution
from orders.services import cart as carts
from orders.services import checkout, lifecycle, picking
from payments.models import Payment, PaymentTransaction, TransactionKind
from tests.inventory.helpers import assert_ledger_matches, events_of
from tests.orders.helpers import Shop, make_customer, make_shop, make_variant, pay, place, refreshed
from tests.payments.helpers import run_pending

pytestmark = pytest.mark.django_db


def test_a_short_lighter_and_substituted_pick_captures_less_and_shows_the_changes() -> None:
    shop = make_shop()
    oat_milk = make_variant("Oat milk", "1.90")  # dearer than the milk it replaces
    customer, address = make_customer()
    cart = carts.open_cart_of(customer)
    assert cart is not None
    carts.add_to_cart(cart, variant_id=shop.bread.pk, quantity="3")
    carts.add_to_cart(cart, variant_id=shop.apples.pk, quantity="2.0")
    carts.add_to_cart(cart, variant_id=shop.milk.pk, quantity="2", substitution=Substitution.SIMILAR)
    checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
    order = pay(place(customer))
    lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    # 3 x 2.50 + 2.0 kg x 3.00 + 2 x 1.20 = 15.90, fee 3.90; the weighed 6.00 may come 10 % heavier.
    assert (order.total, order.authorized_amount) == (Decimal("19.80"), Decimal("20.40"))
    lines = {line.variant_id: line for line in order.lines.all()}
    bread, apples, milk = lines[shop.bread.pk], lines[shop.apples.pk], lines[shop.milk.pk]

    picking.record_picks(
        order.pk,
        [
            picking.Pick(bread.pk, "2"),  # one loaf short
            picking.Pick(apples.pk, "1.874"),  # lighter
            picking.Pick(milk.pk, "2", substitute_variant_id=oat_milk.pk),
        ],
    )
    assert refreshed(order).status == OrderStatus.PICKING
    packed = picking.pack_order(order.pk)

    # 2 x 2.50 + 1.874 x 3.00 (5.622 -> 5.62) + 2 x 1.20 (a substitute never costs more) = 13.02
    assert (packed.status, packed.final_subtotal, packed.final_total) == (
        OrderStatus.PACKED,
        Decimal("13.02"),
        Decimal("16.92"),
    )
    changes = {line.sku: picking.line_change(line) for line in packed.lines.all()}
    assert changes == {shop.bread.sku: "short", shop.apples.sku: "lighter", shop.milk.sku: "substituted"}
    # What left the shelves: the picked quantities, the substitute from available stock.
    assert Reservation.objects.get(pk=order.reservation_id).state == ReservationState.COMMITTED
    assert (shop.item(shop.bread).on_hand, shop.item(shop.bread).reserved) == (Decimal("98"), Decimal("0"))
    assert shop.item(shop.apples).on_hand == Decimal("48.126")
    assert shop.item(shop.milk).on_hand == Decimal("100") and shop.item(oat_milk).on_hand == Decimal("98")
    assert_ledger_matches()
    # The capture asks for the picked total, closing the authorization.
    capture = PaymentTransaction.objects.get(payment_id=order.payment_id, kind=TransactionKind.CAPTURE)
    assert (capture.amount, capture.final) == (Decimal("16.92"), True)
    run_pending(Payment.objects.get(pk=order.payment_id))
    assert Payment.objects.get(pk=order.payment_id).captured_amount == Decimal("16.92")
    [picked] = events_of("order.picked")
    assert picked.final_total.amount == "16.92"
    assert {line.substitute_sku for line in picked.lines} == {"", oat_milk.sku}


def confirmed(
    shop: Shop, *lines: tuple[Variant, str], substitution: str = Substitution.SIMILAR, substitute: int | None = None
) -> Order:
    customer, address = make_customer()
    cart = carts.open_cart_of(customer)
    assert cart is not None
    for variant, quantity in lines:
        carts.add_to_cart(
            cart, variant_id=variant.pk, quantity=quantity, substitution=substitution, substitute_variant_id=substitute
        )
    checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
    order = pay(place(customer))
    confirmed_order = lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    assert confirmed_order is not None
    return confirmed_order


def test_picks_stay_within_the_customers_wishes_and_the_authorization() -> None:
    shop = make_shop()
    tea = make_variant("Tea", "2.00")
    coffee = make_variant("Coffee", "6.00")
    order = confirmed(shop, (shop.bread, "4"), substitution=Substitution.NONE)
    [line] = order.lines.all()
    with pytest.raises(SubstitutionNotAllowed):
        picking.record_pick(order.pk, line_id=line.pk, picked_quantity="4", substitute_variant_id=tea.pk)
    with pytest.raises(PickRefused):
        picking.record_pick(order.pk, line_id=line.pk, picked_quantity="5")
    with pytest.raises(PickRefused):
        picking.record_pick(order.pk, line_id=line.pk, picked_quantity="1.5")

    chosen = confirmed(shop, (shop.milk, "5"), substitution=Substitution.CHOSEN, substitute=tea.pk)
    [line] = chosen.lines.all()
    with pytest.raises(SubstitutionNotAllowed):
        picking.record_pick(chosen.pk, line_id=line.pk, picked_quantity="5", substitute_variant_id=coffee.pk)
    picking.record_pick(chosen.pk, line_id=line.pk, picked_quantity="5", substitute_variant_id=tea.pk)

    weighed = confirmed(shop, (shop.apples, "2.0"))
    [line] = weighed.lines.all()
    with pytest.raises(PickRefused):  # more than 10 % heavier
        picking.record_pick(weighed.pk, line_id=line.pk, picked_quantity="2.201")
    picking.record_pick(weighed.pk, line_id=line.pk, picked_quantity="2.2")
    packed = picking.pack_order(weighed.pk)
    assert packed.final_total == packed.authorized_amount == Decimal("10.50")  # 6.60 + 3.90


def test_packing_needs_every_line_picked_and_something_picked() -> None:
    shop = make_shop()
    order = confirmed(shop, (shop.bread, "2"), (shop.milk, "2"))
    with pytest.raises(LinesNotPicked):
        picking.pack_order(order.pk)
    first, second = order.lines.all()
    picking.record_pick(order.pk, line_id=first.pk, picked_quantity="0")
    with pytest.raises(LinesNotPicked) as refused:
        picking.pack_order(order.pk)
    assert refused.value.fields == {"lines": [str(second.pk)]}
    picking.record_pick(order.pk, line_id=second.pk, picked_quantity="0")
    with pytest.raises(Exception) as nothing:
        picking.pack_order(order.pk)
    assert getattr(nothing.value, "code", "") == "nothing_picked"
    assert refreshed(order).status == OrderStatus.PICKING


def test_weighed_lines_all_picked_at_the_margin_still_fit_the_authorization() -> None:
    # Each line's heaviest pick rounds on its own; the authorization must add up those roundings
    # (3 x 0.22 kg x 1.07 = 3 x 0.2354 -> 3 x 0.24 = 0.72, where 10 % of 0.63 would allow 0.69).
    shop = make_shop(minimum="0.00")
    herbs = [make_variant(f"Herb {n}", "1.07", unit="kg", step="0.1", stock="5") for n in range(3)]
    order = confirmed(shop, *[(herb, "0.2") for herb in herbs])
    picking.record_picks(order.pk, [picking.Pick(line.pk, "0.22") for line in order.lines.all()])
    packed = picking.pack_order(order.pk)
    assert packed.final_subtotal == Decimal("0.72") and packed.final_total == packed.authorized_amount
