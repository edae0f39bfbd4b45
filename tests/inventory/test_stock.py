"""On-hand changes: receipts, counts and corrections with optimistic locking, transfers, and the
low-stock signal; the database itself refuses impossible levels."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from core.errors import InvalidInput, StaleVersion
from events.contracts import decimal_from_quantity
from inventory.errors import BelowReserved, InvalidQuantity, NotEnoughOnHand, StockItemNotFound
from inventory.models import MovementReason, StockItem, StockMovement
from inventory.services import (
    Adjustment,
    adjust_stock,
    adjust_stock_levels,
    receive_stock,
    reserve_stock,
    set_low_stock_threshold,
    transfer_stock,
)
from tests.inventory.helpers import assert_ledger_matches, events_of, levels, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def test_a_receipt_creates_the_item_and_records_who_and_why() -> None:
    clerk = User.objects.create_user("clerk@example.com", "a-long-password-123")
    make_warehouse()
    bananas = make_variant("BANANA", unit="kg", step="0.1")
    _, after = receive_stock(
        warehouse_code="berlin-1", variant=bananas, quantity="18.37", reference="delivery note 4711", actor_id=clerk.pk
    )
    assert (after.on_hand, after.reserved, after.version) == (Decimal("18.37"), Decimal(0), 2)
    movement = StockMovement.objects.get()
    assert (movement.reason, movement.on_hand_delta, movement.reference, movement.actor) == (
        MovementReason.RECEIPT,
        Decimal("18.37"),
        "delivery note 4711",
        clerk,
    )
    [event] = events_of("inventory.adjusted")
    assert (event.sku, event.reason, event.reference, event.actor_id) == (
        "BANANA",
        "receipt",
        "delivery note 4711",
        str(clerk.pk),
    )
    assert decimal_from_quantity(event.delta) == Decimal("18.37") and event.delta.unit == "kg"
    with pytest.raises(InvalidQuantity):
        receive_stock(warehouse_code="berlin-1", variant=bananas, quantity="0.0001")
    with pytest.raises(InvalidQuantity):
        receive_stock(warehouse_code="berlin-1", variant=make_variant("MILK"), quantity="1.5")
    assert_ledger_matches()


def test_a_count_sets_on_hand_from_the_version_read_and_a_stale_version_is_refused() -> None:
    item = stocked(make_variant("MILK"), "10")
    version = StockItem.objects.get(pk=item.pk).version
    after = adjust_stock(Adjustment(stock_item_id=item.pk, version=version, on_hand=Decimal(8)), note="weekly count")
    assert (after.on_hand, after.version) == (Decimal(8), version + 1)
    with pytest.raises(StaleVersion) as stale:
        adjust_stock(Adjustment(stock_item_id=item.pk, version=version, on_hand=Decimal(12)))
    assert stale.value.current_version == version + 1
    assert "MILK at berlin-1 changed since you read it (now version 3)" in stale.value.message
    with pytest.raises(StaleVersion):  # a delta from an old page is refused as well
        adjust_stock(Adjustment(stock_item_id=item.pk, version=version, delta=Decimal(1)))
    assert levels(item) == (Decimal(8), Decimal(0))
    assert_ledger_matches()


def test_reservations_do_not_make_a_count_stale_but_on_hand_cannot_go_below_reserved() -> None:
    item = stocked(make_variant("MILK"), "10")
    version = StockItem.objects.get(pk=item.pk).version
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(item.variant_id, 6)], warehouse_code="berlin-1")
    with pytest.raises(BelowReserved, match="cannot go to 5 while 6 is reserved"):
        adjust_stock(Adjustment(stock_item_id=item.pk, version=version, on_hand=Decimal(5)))
    after = adjust_stock(Adjustment(stock_item_id=item.pk, version=version, on_hand=Decimal(6)))
    assert (after.on_hand, after.reserved) == (Decimal(6), Decimal(6))
    assert_ledger_matches()


def test_waste_only_lowers_and_returns_only_raise() -> None:
    item = stocked(make_variant("EGGS"), "10")
    with pytest.raises(InvalidInput, match="invalid"):
        adjust_stock(Adjustment(stock_item_id=item.pk, version=2, delta=Decimal(2)), reason=MovementReason.WASTE)
    after = adjust_stock(
        Adjustment(stock_item_id=item.pk, version=2, delta=Decimal(-2)), reason=MovementReason.WASTE, note="broken"
    )
    after = adjust_stock(
        Adjustment(stock_item_id=item.pk, version=after.version, delta=Decimal(1)),
        reason=MovementReason.RETURN,
        reference="order o-7",
    )
    assert after.on_hand == Decimal(9)
    assert list(StockMovement.objects.order_by("id").values_list("reason", "on_hand_delta")) == [
        ("receipt", Decimal(10)),
        ("waste", Decimal(-2)),
        ("return", Decimal(1)),
    ]
    with pytest.raises(InvalidInput):
        adjust_stock(Adjustment(stock_item_id=item.pk, version=after.version, delta=Decimal(1)), reason="sale")


def test_several_adjustments_apply_all_or_none() -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "10")
    with pytest.raises(StaleVersion):
        adjust_stock_levels(
            [
                Adjustment(stock_item_id=eggs.pk, version=2, on_hand=Decimal(3)),
                Adjustment(stock_item_id=milk.pk, version=1, on_hand=Decimal(4)),
            ]
        )
    assert levels(milk)[0] == levels(eggs)[0] == Decimal(10)
    adjust_stock_levels(
        [
            Adjustment(stock_item_id=eggs.pk, version=2, on_hand=Decimal(3)),
            Adjustment(stock_item_id=milk.pk, version=2, on_hand=Decimal(4)),
        ]
    )
    assert (levels(milk)[0], levels(eggs)[0]) == (Decimal(4), Decimal(3))
    with pytest.raises(StockItemNotFound):
        adjust_stock(Adjustment(stock_item_id=999_999, version=1, on_hand=Decimal(1)))
    assert_ledger_matches()


def test_transfer_moves_unreserved_stock_between_warehouses() -> None:
    milk = make_variant("MILK")
    source = stocked(milk, "10", warehouse="berlin-1")
    make_warehouse("berlin-2", "Berlin Nord")
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.pk, 7)], warehouse_code="berlin-1")
    with pytest.raises(NotEnoughOnHand, match="3 available"):
        transfer_stock(from_code="berlin-1", to_code="berlin-2", variant=milk, quantity=4)
    transfer_stock(from_code="berlin-1", to_code="berlin-2", variant=milk, quantity=3, reference="rebalancing")
    target = StockItem.objects.get(warehouse__code="berlin-2", variant=milk)
    assert levels(source) == (Decimal(7), Decimal(7))
    assert levels(target) == (Decimal(3), Decimal(0))
    assert StockMovement.objects.filter(reason=MovementReason.TRANSFER).count() == 2
    assert_ledger_matches()


def test_low_stock_is_announced_once_when_availability_crosses_the_threshold() -> None:
    item = stocked(make_variant("MILK"), "10")
    set_low_stock_threshold(item.pk, "3", version=2)
    for n in range(9):  # 9, 8, ... 1: crosses 3 on the seventh reservation, sells out on the ninth
        reserve_stock(owner_type="cart", owner_id=f"c-{n}", lines=[(item.variant_id, 1)], warehouse_code="berlin-1")
    low = events_of("inventory.low_stock")
    assert [(decimal_from_quantity(e.available), decimal_from_quantity(e.threshold)) for e in low] == [
        (Decimal(3), Decimal(3))
    ]
    assert low[0].sku == "MILK" and low[0].warehouse_code == "berlin-1"
    with pytest.raises(StaleVersion):
        set_low_stock_threshold(item.pk, "5", version=2)


def test_the_database_refuses_negative_and_oversold_levels() -> None:
    item = stocked(make_variant("MILK"), "2")
    for statement in (
        "UPDATE inventory_stockitem SET on_hand = -1 WHERE id = %s",
        "UPDATE inventory_stockitem SET reserved = -1 WHERE id = %s",
        "UPDATE inventory_stockitem SET reserved = 3 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [item.pk])
    assert levels(item) == (Decimal(2), Decimal(0))
