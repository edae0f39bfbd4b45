"""A reservation's warehouse and its lines' reservation and stock item have no foreign-key
constraints (decision 0088): every writer writes a reservation and its lines in one statement,
of items it locks, and triggers refuse what the constraints refused, whoever writes."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from inventory.errors import OutOfStock
from inventory.models import Reservation, ReservationLine, StockItem, Warehouse
from inventory.services import reserve_stock
from tests.inventory.helpers import assert_ledger_matches, make_variant, stocked

pytestmark = pytest.mark.django_db

# What the three constraints checked, and that a reservation's lines are of its warehouse's items.
ORPHANS = """
SELECT count(*) FROM inventory_reservationline l
LEFT JOIN inventory_reservation r ON r.id = l.reservation_id
LEFT JOIN inventory_stockitem s ON s.id = l.stock_item_id
LEFT JOIN inventory_warehouse w ON w.id = r.warehouse_id
WHERE r.id IS NULL OR s.id IS NULL OR w.id IS NULL OR s.warehouse_id <> r.warehouse_id
"""


def orphans() -> int:
    with connection.cursor() as cursor:
        cursor.execute(ORPHANS)
        return int(cursor.fetchone()[0])


def reserve(owner: str, *lines: tuple[int, str]) -> Reservation:
    return reserve_stock(owner_type="cart", owner_id=owner, lines=list(lines), warehouse_code="berlin-1")


def test_every_way_of_reserving_writes_lines_of_its_own_reservation_and_of_existing_items() -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "10")
    stocked(make_variant("MILK-2"), "10", warehouse="berlin-2")  # another warehouse's items exist
    reserve("two-step", (milk.variant_id, "1"), (eggs.variant_id, "1"))  # read, then write
    reserve("one-item", (milk.variant_id, "1"))  # one statement, one item (lock last)
    reserve("basket", (eggs.variant_id, "1"), (milk.variant_id, "2"))  # one statement, several items
    reserve("basket", (eggs.variant_id, "2"))  # replaced: the two-step write
    with transaction.atomic():
        reserve("in-transaction", (milk.variant_id, "1"), (eggs.variant_id, "1"))  # locks first
    with pytest.raises(OutOfStock):
        reserve("short", (milk.variant_id, "1"), (eggs.variant_id, "100"))  # declined: nothing written

    assert orphans() == 0
    assert Reservation.objects.count() == 5 and not Reservation.objects.filter(lines=None).exists()
    assert ReservationLine.objects.count() == 8
    assert_ledger_matches()


def test_a_reservation_with_lines_is_never_deleted_and_keeps_its_id() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("c-1", (milk.variant_id, "1"))
    for statement in (
        "DELETE FROM inventory_reservation WHERE id = %s",
        "UPDATE inventory_reservation SET id = id + 1000 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="has lines"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [reservation.pk])
    with pytest.raises(ProtectedError), transaction.atomic():
        reservation.delete()
    # Without lines (none is written so, but a hand-made one) nothing refers to it.
    bare = Reservation.objects.create(
        owner_type="cart", owner_id="bare", warehouse=reservation.warehouse, expires_at=reservation.expires_at
    )
    bare.delete()
    assert orphans() == 0


def test_a_lines_reservation_and_stock_item_never_change_nor_a_stock_items_id() -> None:
    milk = stocked(make_variant("MILK"), "5")
    eggs = stocked(make_variant("EGGS"), "5")
    first = reserve("c-1", (milk.variant_id, "1"))
    second = reserve("c-2", (eggs.variant_id, "1"))
    line = first.lines.get()
    for statement, value in (
        ("UPDATE inventory_reservationline SET reservation_id = %s WHERE id = %s", second.pk),
        ("UPDATE inventory_reservationline SET stock_item_id = %s WHERE id = %s", eggs.pk),
    ):
        with pytest.raises(IntegrityError, match="never change"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [value, line.pk])
    id_fixed = "id of a stock item never changes"
    with pytest.raises(IntegrityError, match=id_fixed), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stockitem SET id = id + 1000 WHERE id = %s", [milk.pk])
    # A stock item's other columns still change (the triggers name their columns).
    StockItem.objects.filter(pk=milk.pk).update(low_stock_threshold=Decimal(1))
    assert (line.reservation_id, line.stock_item_id) == (first.pk, milk.pk)
    assert orphans() == 0


def test_the_warehouse_of_a_reservation_is_never_deleted() -> None:
    milk = stocked(make_variant("MILK"), "5")
    reservation = reserve("c-1", (milk.variant_id, "1"))
    with pytest.raises(IntegrityError, match="has stock items"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_warehouse WHERE id = %s", [reservation.warehouse_id])
    with pytest.raises(ProtectedError), transaction.atomic():
        Warehouse.objects.get(pk=reservation.warehouse_id).delete()
    assert orphans() == 0
