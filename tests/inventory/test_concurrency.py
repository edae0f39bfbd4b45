"""Stock cannot be oversold, whatever many clients do at the same moment: real threads, each with
its own PostgreSQL connection, released together by a barrier."""

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError

from core.errors import StaleVersion
from inventory.errors import OutOfStock
from inventory.models import MovementReason, Reservation, ReservationState, StockItem, StockMovement
from inventory.services import (
    Adjustment,
    adjust_stock,
    commit_reservation,
    release_expired_reservations,
    release_reservation,
    reserve_stock,
)
from tests.concurrency import run_together
from tests.inventory.helpers import assert_ledger_matches, levels, make_variant, stocked

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 200
ROUNDS = 5


def outcome(result: Any) -> str:
    if isinstance(result, Reservation):
        return "reserved"
    if isinstance(result, OutOfStock):
        return "out_of_stock"
    return repr(result)


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_200_clients_for_10_units_exactly_10_win(round_number: int) -> None:
    item = stocked(make_variant(f"HOT-{round_number}"), "10")

    def client(index: int) -> Reservation:
        return reserve_stock(
            owner_type="cart",
            owner_id=f"r{round_number}-c{index}",
            lines=[(item.variant_id, Decimal(1))],
            warehouse_code="berlin-1",
        )

    results = run_together(CLIENTS, client)
    outcomes = Counter(outcome(result) for result in results)
    assert outcomes == {"reserved": 10, "out_of_stock": 190}, outcomes
    refusal = next(r for r in results if isinstance(r, OutOfStock))
    assert refusal.code == "out_of_stock"
    assert f"HOT-{round_number}: asked for 1, 0 available" in refusal.message
    assert levels(item) == (Decimal(10), Decimal(10))
    assert Reservation.objects.filter(state=ReservationState.ACTIVE).count() == 10
    assert StockMovement.objects.filter(reason=MovementReason.RESERVATION).count() == 10
    assert_ledger_matches()


def test_baskets_in_opposite_orders_never_deadlock_and_share_the_stock_exactly() -> None:
    apples = stocked(make_variant("APPLE"), "60")
    bread = stocked(make_variant("BREAD"), "60")
    baskets = [
        [(apples.variant_id, Decimal(1)), (bread.variant_id, Decimal(1))],
        [(bread.variant_id, Decimal(1)), (apples.variant_id, Decimal(1))],
    ]

    def client(index: int) -> Reservation:
        return reserve_stock(
            owner_type="cart", owner_id=f"c{index}", lines=baskets[index % 2], warehouse_code="berlin-1"
        )

    results = run_together(100, client)
    assert not [r for r in results if isinstance(r, OperationalError)], "deadlock or lock failure"
    assert Counter(outcome(result) for result in results) == {"reserved": 60, "out_of_stock": 40}
    assert levels(apples) == levels(bread) == (Decimal(60), Decimal(60))
    assert_ledger_matches()

    # Everything that ends reservations, at once and in every order: commits, releases, sweeps.
    won = [r for r in results if isinstance(r, Reservation)]
    Reservation.objects.filter(pk__in=[r.pk for r in won[40:]]).update(expires_at="2000-01-01T00:00:00Z")

    def finisher(index: int) -> object:
        if index >= 60:
            return release_expired_reservations()
        reservation = won[index]
        if index < 30:
            return commit_reservation(reservation, reference=f"order {index}")
        return release_reservation(reservation)  # 40 and up are expired: the sweep or this ends them

    results = run_together(70, finisher)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert levels(apples) == levels(bread) == (Decimal(30), Decimal(0))
    states = Counter(Reservation.objects.values_list("state", flat=True))
    # The 20 expired ones end either by the sweep (expired) or by their release (released), once.
    assert states["committed"] == 30 and states["released"] >= 10
    assert states["released"] + states["expired"] == 30 and states["active"] == 0
    assert_ledger_matches()


def test_one_cart_reserving_from_many_requests_at_once_ends_with_one_reservation() -> None:
    item = stocked(make_variant("CART"), "100")

    def client(index: int) -> Reservation:
        return reserve_stock(
            owner_type="cart",
            owner_id="the-cart",
            lines=[(item.variant_id, Decimal(index + 1))],
            warehouse_code="berlin-1",
        )

    results = run_together(20, client)
    assert {type(r).__name__ for r in results} <= {"Reservation", "ReservationBusy"}, results
    [active] = Reservation.objects.filter(owner_id="the-cart", state=ReservationState.ACTIVE)
    assert levels(item) == (Decimal(100), active.lines.get().quantity)
    assert_ledger_matches()


def test_two_staff_edits_from_the_same_version_one_wins_the_other_conflicts() -> None:
    item = stocked(make_variant("COUNTED"), "10")
    version = StockItem.objects.get(pk=item.pk).version

    for attempt in range(3):

        def staff(index: int, version: int = version, attempt: int = attempt) -> object:
            # Two clerks counted different figures (both differ from the stock level) on the same page.
            return adjust_stock(
                Adjustment(stock_item_id=item.pk, version=version, on_hand=Decimal(20 + attempt * 10 + index)),
                note=f"count by clerk {index}",
            )

        results = run_together(2, staff)
        assert sorted(type(r).__name__ for r in results) == ["Levels", "StaleVersion"]
        stale = next(r for r in results if isinstance(r, StaleVersion))
        assert stale.code == "stale_version" and stale.current_version == version + 1
        winner = next(r for r in results if not isinstance(r, StaleVersion))
        assert levels(item)[0] == winner.on_hand
        version = winner.version
    assert StockMovement.objects.filter(reason=MovementReason.ADJUSTMENT).count() == 3
    assert_ledger_matches()
