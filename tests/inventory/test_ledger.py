"""The movement ledger: append-only in the database, and always adding up to the stock levels;
drift is found and reported by the command and the beat task."""

import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from inventory.models import StockItem, StockMovement
from inventory.selectors import find_ledger_drift
from inventory.services import reserve_stock
from inventory.tasks import check_stock_ledger
from tests.inventory.helpers import make_variant, stocked

pytestmark = pytest.mark.django_db


def test_movements_cannot_be_changed_or_deleted_even_by_hand() -> None:
    item = stocked(make_variant("MILK"), "5")
    movement = StockMovement.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(on_hand_delta=Decimal(50))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        movement.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_stockmovement")
    assert StockMovement.objects.get().on_hand_delta == Decimal(5)
    assert item.movements.count() == 1


def test_the_ledger_sums_to_the_levels_and_a_tampered_level_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "4")
    reserve_stock(
        owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 3), (eggs.variant_id, 1)], warehouse_code="berlin-1"
    )
    assert find_ledger_drift() == []
    assert check_stock_ledger() == 0

    StockItem.objects.filter(pk=milk.pk).update(on_hand=Decimal(12))  # a change that bypassed the services
    with caplog.at_level(logging.ERROR, logger="inventory"):
        [drift] = find_ledger_drift()
    assert (
        drift.stock_item_id,
        drift.sku,
        drift.on_hand,
        drift.ledger_on_hand,
        drift.reserved,
        drift.ledger_reserved,
    ) == (milk.pk, "MILK", Decimal(12), Decimal(10), Decimal(3), Decimal(3))
    assert "ledger drift: stock item" in caplog.text and "on_hand 12.000 but ledger 10.000" in caplog.text
    assert check_stock_ledger() == 1

    out = StringIO()
    with pytest.raises(CommandError, match="1 stock item"):
        call_command("check_stock_ledger", stdout=out)
    assert "MILK at berlin-1" in out.getvalue()
    call_command("check_stock_ledger", "--warehouse", "nowhere", stdout=out)
    assert "matches every stock level" in out.getvalue()


def test_the_check_of_one_warehouse_sees_only_its_items() -> None:
    milk = make_variant("MILK")
    berlin = stocked(milk, "3", warehouse="berlin-1")
    stocked(milk, "4", warehouse="berlin-2")
    StockItem.objects.filter(pk=berlin.pk).update(reserved=Decimal(1))
    assert [d.warehouse_code for d in find_ledger_drift("berlin-1")] == ["berlin-1"]
    assert find_ledger_drift("berlin-2") == []


def test_a_stock_item_is_never_deleted_so_no_movement_loses_its_item() -> None:
    """The ledger's reference to its item has no foreign-key constraint (decision 0076): this is
    the guarantee that replaces it."""
    item = stocked(make_variant("MILK"), "5")
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_stockitem WHERE id = %s", [item.pk])
    with pytest.raises(ProtectedError), transaction.atomic():
        item.delete()
    assert StockMovement.objects.get().stock_item == StockItem.objects.get(pk=item.pk)
