"""Committing what was picked rather than what was reserved: short and zero picks give stock back,
heavier weighed picks and substitutes take from available (or refuse and change nothing), the
ledger still adds up, and many pickers after the same scarce substitute never oversell it."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events.contracts import decimal_from_quantity
from inventory.errors import InvalidQuantity, OutOfStock, ReservationExpired, VariantNotFound
from inventory.models import MovementReason, Reservation, ReservationState, StockItem, StockMovement
from inventory.services import availability, commit_reservation, reserve_stock, set_low_stock_threshold
from tests.concurrency import run_together
from tests.inventory.helpers import assert_ledger_matches, events_of, levels, make_variant, stocked

pytestmark = pytest.mark.django_db


def reserve(owner: str, *lines: tuple[int, str], warehouse: str = "berlin-1") -> Reservation:
    return reserve_stock(owner_type="order", owner_id=owner, lines=list(lines), warehouse_code=warehouse)


def state_of(reservation: Reservation) -> str:
    reservation.refresh_from_db()
    return reservation.state


def sales_of(item: StockItem) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (m.reason, m.on_hand_delta, m.reserved_delta)
        for m in StockMovement.objects.filter(stock_item=item, reason__in=["sale", "release"]).order_by("id")
    ]


def test_without_picked_every_line_leaves_as_reserved() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"))
    assert commit_reservation(reservation, reference="o-1").state == ReservationState.COMMITTED
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    assert sales_of(milk) == [("sale", Decimal("-2"), Decimal("-2"))]
    assert_ledger_matches()


def test_a_short_pick_takes_what_was_picked_and_gives_the_rest_back() -> None:
    bananas = stocked(make_variant("BANANA", unit="kg", step="0.1"), "10")
    milk = stocked(make_variant("MILK"), "6")
    reservation = reserve("o-1", (bananas.variant_id, "2"), (milk.variant_id, "4"))
    assert availability([milk.variant_id])[milk.variant_id].available == Decimal("2")

    # Bananas weighed lighter (no step check: the scale decides), one milk missing on the shelf.
    committed = commit_reservation(
        reservation,
        reference="o-1 picked",
        picked={bananas.variant_id: Decimal("1.837"), milk.variant_id: Decimal("3")},
    )

    assert committed.state == ReservationState.COMMITTED
    assert levels(bananas) == (Decimal("8.163"), Decimal("0"))
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    assert availability([milk.variant_id])[milk.variant_id].available == Decimal("3")  # up by the shortfall
    assert sales_of(milk) == [("sale", Decimal("-3"), Decimal("-4"))]
    adjusted = {e.sku: decimal_from_quantity(e.delta) for e in events_of("inventory.adjusted") if e.reason == "sale"}
    assert adjusted == {"BANANA": Decimal("-1.837"), "MILK": Decimal("-3")}
    assert not events_of("inventory.low_stock")
    assert_ledger_matches()


def test_a_line_picked_as_zero_or_left_out_only_ends_its_reservation() -> None:
    milk = stocked(make_variant("MILK"), "5")
    eggs = stocked(make_variant("EGGS"), "5")
    bread = stocked(make_variant("BREAD"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"), (eggs.variant_id, "3"), (bread.variant_id, "1"))

    commit_reservation(reservation, picked={milk.variant_id: Decimal("0"), bread.variant_id: Decimal("1")})

    assert levels(milk) == (Decimal("5"), Decimal("0"))
    assert levels(eggs) == (Decimal("5"), Decimal("0"))  # absent from picked: 0 left
    assert levels(bread) == (Decimal("4"), Decimal("0"))
    # Nothing left the shelf for milk and eggs: a release in the ledger, and no inventory.adjusted.
    assert sales_of(milk) == [("release", Decimal("0"), Decimal("-2"))]
    assert sales_of(eggs) == [("release", Decimal("0"), Decimal("-3"))]
    assert sales_of(bread) == [("sale", Decimal("-1"), Decimal("-1"))]
    assert [e.sku for e in events_of("inventory.adjusted") if e.reason == "sale"] == ["BREAD"]
    assert_ledger_matches()


def test_a_heavier_weighed_pick_takes_the_excess_from_available() -> None:
    cheese = stocked(make_variant("CHEESE", unit="kg", step="0.25"), "3")
    reservation = reserve("o-1", (cheese.variant_id, "0.5"))
    reserve("o-2", (cheese.variant_id, "0.25"))  # someone else's stays reserved

    commit_reservation(reservation, picked={cheese.variant_id: Decimal("0.612")})

    assert levels(cheese) == (Decimal("2.388"), Decimal("0.25"))
    assert sales_of(cheese) == [("sale", Decimal("-0.612"), Decimal("-0.5"))]
    assert availability([cheese.variant_id])[cheese.variant_id].available == Decimal("2.138")
    assert not events_of("inventory.low_stock")
    assert_ledger_matches()


def test_a_heavier_pick_that_crosses_the_threshold_announces_low_stock() -> None:
    cheese = stocked(make_variant("CHEESE", unit="kg", step="0.25"), "3")
    reservation = reserve("o-1", (cheese.variant_id, "1"))
    set_low_stock_threshold(cheese.pk, "1.9", version=2)  # available 2: above it

    commit_reservation(reservation, picked={cheese.variant_id: Decimal("1.2")})

    [low] = events_of("inventory.low_stock")  # the 0.2 taken from available crossed it
    assert (low.sku, decimal_from_quantity(low.available)) == ("CHEESE", Decimal("1.8"))
    # An exact or short pick leaves available as it was or raises it: no crossing.
    other = reserve("o-2", (cheese.variant_id, "0.5"))
    commit_reservation(other, picked={cheese.variant_id: Decimal("0.4")})
    assert len(events_of("inventory.low_stock")) == 1
    assert_ledger_matches()


def test_a_heavier_pick_with_too_little_available_changes_nothing() -> None:
    milk = stocked(make_variant("MILK"), "5")
    cheese = stocked(make_variant("CHEESE", unit="kg", step="0.25"), "1")
    assert milk.pk < cheese.pk  # so milk moves first, then cheese is refused
    reservation = reserve("o-1", (milk.variant_id, "2"), (cheese.variant_id, "0.75"))
    reserve("o-2", (cheese.variant_id, "0.25"))  # the rest of the cheese is promised
    movements = StockMovement.objects.count()

    with pytest.raises(OutOfStock) as refused:
        commit_reservation(reservation, picked={milk.variant_id: Decimal("2"), cheese.variant_id: Decimal("0.8")})

    assert refused.value.code == "out_of_stock"
    assert refused.value.message == "Not enough stock for CHEESE: asked for 0.8, 0.75 available."
    assert state_of(reservation) == ReservationState.ACTIVE
    assert levels(milk) == (Decimal("5"), Decimal("2"))  # its move was rolled back
    assert levels(cheese) == (Decimal("1"), Decimal("1"))
    assert StockMovement.objects.count() == movements
    assert not [e for e in events_of("inventory.adjusted") if e.reason == "sale"]

    # The same reservation can still be committed with what is possible.
    commit_reservation(reservation, picked={milk.variant_id: Decimal("2"), cheese.variant_id: Decimal("0.75")})
    assert levels(cheese) == (Decimal("0.25"), Decimal("0.25"))
    assert_ledger_matches()


def test_a_substitute_is_taken_from_available_stock_of_the_warehouse() -> None:
    oat_milk = make_variant("OAT-MILK")
    stocked(oat_milk, "50", warehouse="berlin-2")  # another warehouse's stock does not count
    oat = stocked(oat_milk, "3")
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"))
    reserve("o-2", (oat.variant_id, "1"))

    commit_reservation(reservation, picked={milk.variant_id: Decimal("0"), oat.variant_id: Decimal("2")})

    assert levels(milk) == (Decimal("5"), Decimal("0"))
    assert levels(oat) == (Decimal("1"), Decimal("1"))
    assert sales_of(oat) == [("sale", Decimal("-2"), Decimal("0"))]
    [low] = events_of("inventory.low_stock")  # available 2 -> 0: sold out
    assert (low.sku, decimal_from_quantity(low.available)) == ("OAT-MILK", Decimal("0"))
    assert_ledger_matches()


def test_a_substitute_beyond_available_is_refused() -> None:
    oat = stocked(make_variant("OAT-MILK"), "3")
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"))
    reserve("o-2", (oat.variant_id, "2"))

    with pytest.raises(OutOfStock, match="OAT-MILK: asked for 2, 1 available"):
        commit_reservation(reservation, picked={oat.variant_id: Decimal("2")})
    assert state_of(reservation) == ReservationState.ACTIVE
    assert levels(milk) == (Decimal("5"), Decimal("2")) and levels(oat) == (Decimal("3"), Decimal("2"))
    assert_ledger_matches()


def test_a_substitute_the_warehouse_does_not_stock_is_refused() -> None:
    milk = stocked(make_variant("MILK"), "5")
    oat_milk = make_variant("OAT-MILK")
    stocked(oat_milk, "10", warehouse="berlin-2")
    reservation = reserve("o-1", (milk.variant_id, "2"))

    with pytest.raises(OutOfStock) as refused:
        commit_reservation(reservation, picked={milk.variant_id: Decimal("1"), oat_milk.pk: Decimal("1")})
    assert [(s.sku, s.requested, s.available) for s in refused.value.shortages] == [
        ("OAT-MILK", Decimal("1"), Decimal("0"))
    ]
    assert state_of(reservation) == ReservationState.ACTIVE
    assert levels(milk) == (Decimal("5"), Decimal("2"))
    # A substitute picked as 0 moves nothing, so it needs no stock there.
    commit_reservation(reservation, picked={milk.variant_id: Decimal("2"), oat_milk.pk: Decimal("0")})
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    assert_ledger_matches()


def test_expired_reservations_holding_the_substitute_are_freed_first() -> None:
    oat = stocked(make_variant("OAT-MILK"), "2")
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "1"))
    stale = reserve("o-2", (oat.variant_id, "2"))
    Reservation.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    commit_reservation(reservation, picked={oat.variant_id: Decimal("2")})

    assert state_of(stale) == ReservationState.EXPIRED
    assert levels(oat) == (Decimal("0"), Decimal("0"))
    assert_ledger_matches()


def test_bad_picked_quantities_change_nothing() -> None:
    milk = stocked(make_variant("MILK"), "5")
    bananas = stocked(make_variant("BANANA", unit="kg", step="0.1"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"), (bananas.variant_id, "1"))
    for bad, error in [
        ({milk.variant_id: Decimal("1.5")}, InvalidQuantity),  # pieces are whole
        ({bananas.variant_id: Decimal("-0.2")}, InvalidQuantity),
        ({bananas.variant_id: Decimal("0.0005")}, InvalidQuantity),
        ({999_999: Decimal("1")}, VariantNotFound),
    ]:
        with pytest.raises(error):
            commit_reservation(reservation, picked=bad)
        assert state_of(reservation) == ReservationState.ACTIVE
    assert levels(milk) == (Decimal("5"), Decimal("2"))
    assert_ledger_matches()


def test_committing_again_is_a_no_op_whatever_picked_says() -> None:
    milk = stocked(make_variant("MILK"), "5")
    oat = stocked(make_variant("OAT-MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"))
    commit_reservation(reservation, picked={milk.variant_id: Decimal("1")})
    movements = StockMovement.objects.count()

    again = commit_reservation(reservation.pk, picked={milk.variant_id: Decimal("2"), oat.variant_id: Decimal("5")})
    assert again.state == ReservationState.COMMITTED
    assert commit_reservation(reservation).state == ReservationState.COMMITTED
    assert levels(milk) == (Decimal("4"), Decimal("0")) and levels(oat) == (Decimal("5"), Decimal("0"))
    assert StockMovement.objects.count() == movements
    assert_ledger_matches()


def test_an_expired_reservation_cannot_be_committed_with_picks_either() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"))
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ReservationExpired):
        commit_reservation(reservation, picked={milk.variant_id: Decimal("2")})
    assert levels(milk) == (Decimal("5"), Decimal("0"))
    assert_ledger_matches()


@pytest.mark.django_db(transaction=True)
def test_20_pickers_substituting_the_same_scarce_variant_exactly_5_win() -> None:
    scarce = stocked(make_variant("SCARCE"), "5")
    milk = stocked(make_variant("MILK"), "40")
    reservations = [reserve(f"o-{index}", (milk.variant_id, "2")) for index in range(20)]

    def picker(index: int) -> Reservation:
        return commit_reservation(
            reservations[index],
            reference=f"order o-{index}",
            picked={milk.variant_id: Decimal("1"), scarce.variant_id: Decimal("1")},
        )

    results = run_together(20, picker)
    outcomes = Counter(type(result).__name__ for result in results)
    assert outcomes == {"Reservation": 5, "OutOfStock": 15}, results
    refusal = next(r for r in results if isinstance(r, OutOfStock))
    assert "SCARCE: asked for 1, 0 available" in refusal.message
    assert levels(scarce) == (Decimal("0"), Decimal("0"))
    # 5 picked one milk each and gave one back; the 15 refused still hold their 2 each.
    assert levels(milk) == (Decimal("35"), Decimal("30"))
    states = Counter(Reservation.objects.values_list("state", flat=True))
    assert states == {"committed": 5, "active": 15}
    assert StockMovement.objects.filter(stock_item=scarce, reason=MovementReason.SALE).count() == 5
    assert_ledger_matches()
