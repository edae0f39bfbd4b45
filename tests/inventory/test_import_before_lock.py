"""PostgreSQL: an import writes its ledger rows and events before it locks the stock items, from
the items as it read them (decision 0080), and keeps them only if every locked item still reads
the same; otherwise they are written again from the locked items."""

import random
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from inventory.models import ReservationLine, StockItem, StockMovement
from inventory.services import import_items as import_items_module
from inventory.services import import_sql as import_sql_module
from inventory.services import import_stage as import_stage_module
from inventory.services import import_stock, receive_stock, reserve_stock
from tests.concurrency import run_together
from tests.inventory.helpers import assert_ledger_matches, events_of, make_variant, make_warehouse, stocked


def import_movements() -> list[tuple[str, Decimal]]:
    return [
        (m.stock_item.variant.sku, m.on_hand_delta)
        for m in StockMovement.objects.filter(reference__startswith="import:").order_by("id")
    ]


def import_events() -> list[tuple[str, str, str]]:
    return [
        (e.sku, e.delta.value, e.on_hand_after.value)
        for e in events_of("inventory.adjusted")
        if e.reference.startswith("import:")
    ]


@pytest.mark.django_db
def test_items_unchanged_since_the_read_keep_what_was_written_before_the_lock(tmp_path: Path) -> None:
    make_warehouse()
    stocked(make_variant("MILK"), "10")
    make_variant("EGGS")
    path = tmp_path / "count.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,MILK,7,set\nberlin-1,EGGS,4,set\nberlin-1,MILK,1,add\n")
    report = import_stock(path)
    assert (report.status, report.rows_changed, report.written_under_lock) == ("applied", 3, False)
    assert import_movements() == [("MILK", Decimal(-3)), ("EGGS", Decimal(4)), ("MILK", Decimal(1))]
    assert import_events() == [("MILK", "-3.000", "7.000"), ("EGGS", "4.000", "4.000"), ("MILK", "1.000", "8.000")]
    assert_ledger_matches()


@pytest.mark.django_db(transaction=True)
def test_an_item_changed_between_the_read_and_the_lock_is_written_again_from_the_locked_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse()
    milk = make_variant("MILK")
    stocked(milk, "10")
    make_variant("EGGS")
    path = tmp_path / "count.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,MILK,7,set\nberlin-1,EGGS,4,set\nberlin-1,MILK,1,add\n")
    read_items = import_sql_module.read_items

    def read_then_a_delivery_commits(cursor: Any, **options: Any) -> None:
        read_items(cursor, **options)

        def deliver() -> None:  # another connection: the import holds no lock on MILK yet
            try:
                receive_stock(warehouse_code="berlin-1", variant=milk, quantity=Decimal(5), reference="truck")
            finally:
                connections.close_all()

        delivery = threading.Thread(target=deliver)
        delivery.start()
        delivery.join(10)

    monkeypatch.setattr(import_sql_module, "read_items", read_then_a_delivery_commits)
    report = import_stock(path)
    assert (report.status, report.rows_changed, report.written_under_lock) == ("applied", 3, True)
    assert StockItem.objects.get(variant=milk).on_hand == Decimal(8)
    # From the locked 15 (10 and the delivery's 5), not the 10 read before: nothing of the first
    # writing is left.
    assert import_movements() == [("MILK", Decimal(-8)), ("EGGS", Decimal(4)), ("MILK", Decimal(1))]
    assert import_events() == [("MILK", "-8.000", "7.000"), ("EGGS", "4.000", "4.000"), ("MILK", "1.000", "8.000")]
    assert len(events_of("inventory.adjusted_batch")) == 1
    assert_ledger_matches()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("module", "step"), [(import_items_module, "refused_new_items"), (import_stage_module, "counts")]
)
def test_an_item_another_transaction_creates_meanwhile_is_counted_as_existing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Any, step: str
) -> None:
    """The new items' INSERT fails on the unique index (no ON CONFLICT): the import composes again
    and counts the other transaction's item as an existing one; whether the item was created after
    the composing (refused_new_items) or after the check, which composing first trusts (counts)."""
    make_warehouse()
    stocked(make_variant("MILK"), "10")
    eggs = make_variant("EGGS")
    path = tmp_path / "count.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,EGGS,4,add\nberlin-1,MILK,7,set\n")
    refused_new_items, delivered = getattr(module, step), list[bool]()

    def a_delivery_creates_the_item_first(cursor: Any) -> Any:
        if not delivered:  # once: composed without the item, created before the import's INSERT

            def deliver() -> None:
                try:
                    receive_stock(warehouse_code="berlin-1", variant=eggs, quantity=Decimal(3), reference="truck")
                finally:
                    connections.close_all()

            delivery = threading.Thread(target=deliver)
            delivery.start()
            delivery.join(10)
            delivered.append(True)
        return refused_new_items(cursor)

    monkeypatch.setattr(module, step, a_delivery_creates_the_item_first)
    report = import_stock(path)
    assert (report.status, report.rows_changed) == ("applied", 2)
    assert StockItem.objects.get(variant=eggs).on_hand == Decimal(7)  # the delivery's 3 and the file's 4
    assert import_movements() == [("EGGS", Decimal(4)), ("MILK", Decimal(-3))]
    assert_ledger_matches()


@pytest.mark.django_db(transaction=True)
def test_a_recount_while_baskets_reserve_in_every_order_never_deadlocks_and_keeps_the_ledger_exact(
    tmp_path: Path,
) -> None:
    """The import locks the items it counts in id order, as every reservation does. Baskets
    reserving all along (so the items move between its read and its lock, and it locks and writes
    again): no deadlock, every count applied over what they reserved, the ledger exact."""
    items = [stocked(make_variant(f"SKU-{n:03d}"), "100") for n in range(60)]
    shuffled = random.Random(7).sample(items, len(items))
    counts = [tmp_path / f"count-{n}.csv" for n in range(2)]
    for n, path in enumerate(counts):
        rows = "".join(f"berlin-1,{item.variant.sku},{150 + n},set\n" for item in shuffled)
        path.write_text("warehouse,sku,quantity,mode\n" + rows)
    counted = threading.Event()

    def client(index: int) -> Any:
        if index == 0:  # the recounts, one after the other, while the baskets reserve
            try:
                return [import_stock(path).status for path in counts]
            finally:
                counted.set()
        chooser, made = random.Random(index), 0
        while not counted.is_set() and made < 40:
            basket = chooser.sample(items, 4)  # any order: the service sorts by id
            reserve_stock(
                owner_type="cart",
                owner_id=f"c{index}-{made}",
                lines=[(item.variant_id, Decimal(1)) for item in basket],
                warehouse_code="berlin-1",
            )
            made += 1
        return made

    results = run_together(17, client)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results[0] == ["applied"] * 2 and sum(results[1:]) > 0
    reserved = {item.pk: Decimal(0) for item in items}
    for line in ReservationLine.objects.filter(reservation__state="active"):
        reserved[line.stock_item_id] += line.quantity
    assert {item.pk: (item.on_hand, item.reserved) for item in StockItem.objects.all()} == {
        pk: (Decimal(151), quantity) for pk, quantity in reserved.items()
    }
    assert_ledger_matches()
