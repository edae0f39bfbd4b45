"""Reservations: all lines or none, clear refusals, replacing, releasing, committing, handing
over to an order, and expiry that counts at once."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import Variant
from events.contracts import decimal_from_quantity, unpack_envelope
from events.models import OutboxEvent
from inventory.errors import (
    InvalidQuantity,
    OutOfStock,
    ReservationBusy,
    ReservationExpired,
    ReservationNotActive,
    VariantNotSellable,
    WarehouseInactive,
)
from inventory.models import MovementReason, Reservation, ReservationState, StockMovement, Warehouse
from inventory.services import (
    availability,
    commit_reservation,
    rebind_reservation,
    release_reservation,
    reserve_stock,
    save_warehouse,
)
from inventory.tasks import release_expired
from tests.inventory.helpers import assert_ledger_matches, events_of, levels, make_variant, stocked

pytestmark = pytest.mark.django_db


def reserve(owner: str, *lines: tuple[int, str], ttl: timedelta | None = None, owner_type: str = "cart") -> Reservation:
    return reserve_stock(owner_type=owner_type, owner_id=owner, lines=list(lines), warehouse_code="berlin-1", ttl=ttl)


def expire(reservation: Reservation) -> None:
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_reserving_moves_reserved_only_and_writes_the_ledger_and_an_event() -> None:
    milk = stocked(make_variant("MILK"), "10")
    bananas = stocked(make_variant("BANANA", unit="kg", step="0.1"), "5.5")
    reservation = reserve("c-1", (milk.variant_id, "2"), (bananas.variant_id, "1.2"), (milk.variant_id, "1"))

    assert levels(milk) == (Decimal("10"), Decimal("3"))  # repeated lines add up
    assert levels(bananas) == (Decimal("5.5"), Decimal("1.2"))
    assert reservation.state == ReservationState.ACTIVE
    assert sorted(reservation.lines.values_list("quantity", flat=True)) == [Decimal("1.2"), Decimal("3")]
    assert StockMovement.objects.filter(reason=MovementReason.RESERVATION).count() == 2
    [event] = events_of("inventory.reserved")
    assert (event.reservation_id, event.owner_type, event.owner_id, event.warehouse_code) == (
        str(reservation.pk),
        "cart",
        "c-1",
        "berlin-1",
    )
    assert {(line.sku, decimal_from_quantity(line.quantity), line.quantity.unit) for line in event.lines} == {
        ("MILK", Decimal("3"), "piece"),
        ("BANANA", Decimal("1.2"), "kg"),
    }
    assert_ledger_matches()


def test_one_short_line_reserves_nothing_and_names_the_sku_and_what_is_available() -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "2")
    with pytest.raises(OutOfStock) as refused:
        reserve("c-1", (milk.variant_id, "4"), (eggs.variant_id, "3"))
    assert refused.value.code == "out_of_stock"
    assert refused.value.message == "Not enough stock for EGGS: asked for 3, 2 available."
    assert [(s.sku, s.available) for s in refused.value.shortages] == [("EGGS", Decimal("2"))]
    assert levels(milk) == (Decimal("10"), Decimal("0"))
    assert not Reservation.objects.exists()
    assert not events_of("inventory.reserved")
    assert_ledger_matches()


def test_a_variant_the_warehouse_never_stocked_is_out_of_stock() -> None:
    stocked(make_variant("MILK"), "1")
    never = make_variant("SAFFRON")
    with pytest.raises(OutOfStock, match="SAFFRON: asked for 1, 0 available"):
        reserve("c-1", (never.pk, "1"))


def test_quantities_follow_the_variant_step_and_inactive_things_are_refused() -> None:
    bananas = stocked(make_variant("BANANA", unit="kg", step="0.25"), "10")
    with pytest.raises(InvalidQuantity, match=r"multiple of 0\.25"):
        reserve("c-1", (bananas.variant_id, "0.3"))
    milk = stocked(make_variant("MILK"), "10")
    with pytest.raises(InvalidQuantity):
        reserve("c-1", (milk.variant_id, "1.5"))
    with pytest.raises(InvalidQuantity):
        reserve("c-1", (milk.variant_id, "0"))
    gone = stocked(make_variant("GONE", active=False), "3")
    with pytest.raises(VariantNotSellable):
        reserve("c-1", (gone.variant_id, "1"))
    save_warehouse(code="berlin-1", name="Berlin Mitte", is_active=False, pk=Warehouse.objects.get().pk)
    with pytest.raises(WarehouseInactive):
        reserve("c-1", (milk.variant_id, "1"))
    assert not Reservation.objects.exists()


def test_reserving_again_replaces_the_owners_reservation_in_one_step() -> None:
    milk = stocked(make_variant("MILK"), "5")
    first = reserve("c-1", (milk.variant_id, "4"))
    second = reserve("c-1", (milk.variant_id, "5"))  # only possible because the 4 come back first
    first.refresh_from_db()
    assert (first.state, first.end_reason) == (ReservationState.RELEASED, "replaced")
    assert levels(milk) == (Decimal("5"), Decimal("5"))
    assert second.lines.get().quantity == Decimal("5")
    with pytest.raises(OutOfStock):
        reserve("c-1", (milk.variant_id, "6"))
    second.refresh_from_db()
    assert second.state == ReservationState.ACTIVE  # a failed replacement keeps the old one
    assert levels(milk) == (Decimal("5"), Decimal("5"))
    assert [e.reason for e in events_of("inventory.released")] == ["replaced"]
    assert_ledger_matches()


def test_an_owners_first_reservation_of_known_items_is_one_statement_with_the_same_record(
    django_assert_num_queries: Any,
) -> None:
    milk = stocked(make_variant("MILK"), "10")
    bananas = stocked(make_variant("BANANA", unit="kg", step="0.1"), "5.5")
    reserve("c-1", (milk.variant_id, "1"), (bananas.variant_id, "0.5"))  # its read makes both known
    with django_assert_num_queries(1):
        second = reserve("c-2", (bananas.variant_id, "1.2"), (milk.variant_id, "2"))

    assert levels(milk) == (Decimal("10"), Decimal("3"))
    assert levels(bananas) == (Decimal("5.5"), Decimal("1.7"))
    second.refresh_from_db()
    assert (second.owner_id, second.state) == ("c-2", ReservationState.ACTIVE)
    assert sorted(second.lines.values_list("stock_item_id", "quantity")) == [
        (milk.pk, Decimal("2")),
        (bananas.pk, Decimal("1.2")),
    ]
    assert StockMovement.objects.filter(reference=f"reservation:{second.pk}").count() == 2
    row = OutboxEvent.objects.filter(event_type="inventory.reserved").latest("id")
    envelope, event = unpack_envelope(bytes(row.payload))
    assert (row.aggregate_id, envelope.aggregate_id, event.reservation_id) == (str(second.pk),) * 3
    assert [(line.sku, decimal_from_quantity(line.quantity)) for line in event.lines] == [
        ("MILK", Decimal("2")),
        ("BANANA", Decimal("1.2")),
    ]
    # The same bytes as an event written through the bridge (fields in number order).
    assert bytes(row.payload) == envelope.SerializeToString(deterministic=True)
    assert_ledger_matches()


def test_when_the_one_statement_declines_the_two_step_path_decides() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reserve("c-1", (milk.variant_id, "1"))  # known from now on
    with pytest.raises(OutOfStock):
        reserve("c-2", (milk.variant_id, "5"))
    replaced = reserve("c-1", (milk.variant_id, "2"))  # the owner holds one: replaced, not doubled
    assert levels(milk) == (Decimal("5"), Decimal("2"))
    assert [e.reason for e in events_of("inventory.released")] == ["replaced"]
    Variant.objects.filter(pk=milk.variant_id).update(is_active=False)  # a remembered fact goes stale
    with pytest.raises(VariantNotSellable):
        reserve("c-3", (milk.variant_id, "1"))
    assert list(Reservation.objects.filter(state=ReservationState.ACTIVE)) == [replaced]
    assert_ledger_matches()


def test_release_gives_the_stock_back_once() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("c-1", (milk.variant_id, "2"))
    released = release_reservation(reservation, reason="cart_abandoned")
    assert (released.state, released.end_reason) == (ReservationState.RELEASED, "cart_abandoned")
    assert release_reservation(reservation.pk).state == ReservationState.RELEASED  # again: nothing changes
    assert levels(milk) == (Decimal("5"), Decimal("0"))
    assert len(events_of("inventory.released")) == 1
    assert_ledger_matches()


def test_commit_takes_goods_out_of_on_hand_and_reserved() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("o-1", (milk.variant_id, "2"), owner_type="order")
    committed = commit_reservation(reservation, reference="order o-1 picked")
    assert committed.state == ReservationState.COMMITTED
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    assert commit_reservation(reservation.pk).state == ReservationState.COMMITTED  # a retried commit
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    sale = StockMovement.objects.get(reason=MovementReason.SALE)
    assert (sale.on_hand_delta, sale.reserved_delta) == (Decimal("-2"), Decimal("-2"))
    [adjusted] = [e for e in events_of("inventory.adjusted") if e.reason == "sale"]
    assert decimal_from_quantity(adjusted.on_hand_after) == Decimal("3")
    with pytest.raises(ReservationNotActive, match="committed"):
        release_reservation(reservation)
    milk.refresh_from_db()
    assert milk.version == 3  # receipt, then sale: on-hand changes bump the version
    assert_ledger_matches()


def test_an_expired_reservation_stops_counting_at_once_on_the_read_path() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("c-1", (milk.variant_id, "5"))
    assert availability([milk.variant_id])[milk.variant_id].available == 0
    expire(reservation)
    assert availability([milk.variant_id])[milk.variant_id].available == Decimal("5")
    reservation.refresh_from_db()
    assert (reservation.state, reservation.end_reason) == (ReservationState.EXPIRED, "expired")
    assert [e.reason for e in events_of("inventory.released")] == ["expired"]
    assert_ledger_matches()


def test_an_expired_reservation_does_not_block_a_new_one() -> None:
    milk = stocked(make_variant("MILK"), "3")
    old = reserve("c-1", (milk.variant_id, "3"))
    expire(old)
    reserve("c-2", (milk.variant_id, "3"))
    old.refresh_from_db()
    assert old.state == ReservationState.EXPIRED
    assert levels(milk) == (Decimal("3"), Decimal("3"))
    assert_ledger_matches()


def test_an_expired_reservation_cannot_be_committed_or_handed_over() -> None:
    milk = stocked(make_variant("MILK"), "3")
    reservation = reserve("c-1", (milk.variant_id, "1"))
    expire(reservation)
    with pytest.raises(ReservationExpired):
        commit_reservation(reservation)
    with pytest.raises(ReservationExpired):
        rebind_reservation(reservation, owner_type="order", owner_id="o-1")
    assert levels(milk) == (Decimal("3"), Decimal("0"))
    assert_ledger_matches()


def test_the_beat_task_sweeps_every_expired_reservation() -> None:
    milk = stocked(make_variant("MILK"), "10")
    reservations = [reserve(f"c-{n}", (milk.variant_id, "1")) for n in range(4)]
    for reservation in reservations[:3]:
        expire(reservation)
    assert release_expired() == 3
    assert levels(milk) == (Decimal("10"), Decimal("1"))
    assert release_expired() == 0  # idempotent
    assert_ledger_matches()


def test_a_cart_reservation_is_handed_to_its_order_with_a_new_expiry() -> None:
    milk = stocked(make_variant("MILK"), "3")
    reservation = reserve("c-1", (milk.variant_id, "2"))
    rebound = rebind_reservation(reservation, owner_type="order", owner_id="o-9", ttl=timedelta(days=2))
    assert (rebound.owner_type, rebound.owner_id) == ("order", "o-9")
    assert rebound.expires_at > timezone.now() + timedelta(days=1)
    assert levels(milk) == (Decimal("3"), Decimal("2"))
    other = reserve("c-2", (milk.variant_id, "1"))
    with pytest.raises(ReservationBusy) as busy:
        rebind_reservation(other, owner_type="order", owner_id="o-9")
    assert busy.value.code == "owner_has_reservation"
