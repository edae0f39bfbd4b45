"""Stock imports at scale: a large file applied in time linear in its rows and in memory bounded by
the chunk, rows of one item composed in file order, and the changes announced in batch events
whose bytes PostgreSQL writes."""

import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from catalog.models import Category, Product, Variant
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from inventory.models import ImportBatch, StockItem, StockMovement, Warehouse
from inventory.services import ImportReport, import_stage, import_stock
from inventory.services.import_report import NoProgress
from tests.inventory.helpers import assert_ledger_matches, events_of, make_variant, make_warehouse, on_hand

pytestmark = pytest.mark.django_db


def bulk_catalog(count: int, warehouses: int) -> list[Warehouse]:
    stores = [make_warehouse(f"store-{n}", f"Store {n}") for n in range(warehouses)]
    category = Category.objects.create(name="Bulk", slug="bulk", path="/")
    products = Product.objects.bulk_create(
        [Product(name=f"Bulk {n}", slug=f"bulk-{n}", category=category) for n in range(count)]
    )
    Variant.objects.bulk_create(
        [
            Variant(product=p, sku=f"BULK-{n:05d}", name="1 pc", price=Decimal("1.00"), currency="EUR")
            for n, p in enumerate(products)
        ]
    )
    return stores


def write_file(path: Path, stores: list[Warehouse], skus: int, mode: str = "set") -> Path:
    with path.open("w") as out:
        out.write("warehouse,sku,quantity,mode\n")
        for store in stores:
            for n in range(skus):
                out.write(f"{store.code},BULK-{n:05d},{n % 50 + 1},{mode}\n")
    return path


def test_a_large_file_is_applied_whole_in_time_linear_in_its_rows(tmp_path: Path) -> None:
    stores = bulk_catalog(100, 10)

    def timed(path: Path) -> tuple[ImportReport, float]:
        started = time.monotonic()
        report = import_stock(path)
        return report, time.monotonic() - started

    small, small_seconds = timed(write_file(tmp_path / "small.csv", stores[:1], 100))
    large, large_seconds = timed(write_file(tmp_path / "large.csv", stores[1:], 100))  # 9 times the rows
    assert (small.status, small.rows_total, small.rows_changed) == ("applied", 100, 100)
    assert (large.status, large.rows_total, large.rows_changed) == ("applied", 900, 900)
    assert StockItem.objects.filter(warehouse__in=stores).count() == 1_000
    assert StockItem.objects.get(warehouse=stores[3], variant__sku="BULK-00049").on_hand == Decimal(50)
    assert len(events_of("inventory.adjusted")) == 1_000  # every change announced, in batches
    assert StockMovement.objects.count() == 1_000
    # Per row, nine times the rows may cost at most three times as much: a guard against quadratic
    # work that holds on a loaded machine too (the throughput is bench/inventory_import.py's job).
    per_row_small, per_row_large = small_seconds / 100, large_seconds / 900
    assert per_row_large < 3 * per_row_small, f"{small_seconds:.2f} s for 100 rows, {large_seconds:.2f} s for 900"
    assert_ledger_matches()


def test_memory_is_bounded_by_the_chunk_not_the_file(tmp_path: Path) -> None:
    stores = bulk_catalog(500, 2)

    def peak_of(path: Path) -> int:
        tracemalloc.start()
        report = import_stock(path, chunk_rows=50)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert report.status == "applied"
        return peak

    small = peak_of(write_file(tmp_path / "small.csv", stores[:1], 100))
    large = peak_of(write_file(tmp_path / "large.csv", stores, 500, mode="add"))  # 10 times the rows
    assert large < small * 1.5, f"peak {small / 1e6:.1f} MB for 100 rows, {large / 1e6:.1f} MB for 1,000"


@override_settings(INVENTORY_IMPORT_EVENT_ITEMS=2)
def test_rows_of_one_item_compose_in_file_order_announced_in_versioned_batches(shop: Path) -> None:
    path = shop / "day.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,MILK,5,add\n"  # 10 -> 15
        "berlin-1,EGGS,4,set\n"  # a new item: 0 -> 4
        "berlin-1,MILK,3,set\n"  # 15 -> 3
        "berlin-1,MILK,2,add\n"  # 3 -> 5
        "berlin-1,MILK,5.000,set\n"  # unchanged (a quantity in another notation)
        "berlin-1,EGGS,1e1,add\n"  # 4 -> 14
    )
    report = import_stock(path)
    assert (report.status, report.rows_changed, report.rows_unchanged) == ("applied", 5, 1)
    assert report.locked_seconds is not None
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(5), Decimal(14))
    deltas = StockMovement.objects.filter(reference__startswith="import:").order_by("id")
    assert [(m.reference.rsplit(" ", 1)[1], m.on_hand_delta) for m in deltas] == [
        ("2", Decimal(5)),
        ("3", Decimal(4)),
        ("4", Decimal(-12)),
        ("5", Decimal(2)),
        ("7", Decimal(10)),
    ]
    batches = events_of("inventory.adjusted_batch")
    assert [len(batch.items) for batch in batches] == [2, 2, 1] and {batch.version for batch in batches} == {1}
    announced = [
        (e.sku, e.delta.value, e.on_hand_after.value, e.reference)
        for e in events_of("inventory.adjusted")
        if e.reference.startswith("import:")
    ]
    assert announced[2] == ("MILK", "-12.000", "3.000", f"import:{report.batch_id} line 4")
    assert [a[0] for a in announced] == ["MILK", "EGGS", "MILK", "MILK", "EGGS"]
    assert_ledger_matches()


def test_the_stage_says_whether_two_rows_may_name_one_item(shop: Path) -> None:
    """A file without repeats is composed without searching for them (decision 0084): the
    answer must never be no for a file with two rows of one item, wherever they fall."""
    path = shop / "day.csv"
    files = [
        ("berlin-1,MILK,5,add\nberlin-1,EGGS,4,set\nberlin-2,MILK,3,set\n", False),
        ("berlin-1,MILK,5,add\nberlin-1,EGGS,4,set\nberlin-2,MILK,3,set\nberlin-1,MILK,1,add\n", True),
        ("berlin-1,MILK,5,add\nberlin-1,MILK,4,add\n", True),
        ("berlin-1,MILK,5,add\nberlin-1,MILK,4,add,extra\n", False),  # the second row is unreadable
    ]
    for rows, repeats in files:
        path.write_text("warehouse,sku,quantity,mode\n" + rows)
        with transaction.atomic(), connection.cursor() as cursor:
            assert import_stage.load(cursor, path, "csv", None, 2, NoProgress()) is repeats, rows


def test_batch_events_written_by_postgresql_are_the_bytes_protobuf_writes_for_any_sku(shop: Path) -> None:
    """A SKU of several bytes per character, or holding a backslash or a tab, reads back from the
    event as it is stored."""
    make_variant("MÜSLI-ÄÖÜ")
    make_variant("CRATE\\6\tPACK")
    path = shop / "many.csv"
    skus = ["MILK", "EGGS", "MÜSLI-ÄÖÜ", "CRATE\\6\tPACK"]
    # 600 changes: lines past 127 (two-byte varints) and a batch longer than 16 KB (a three-byte one)
    path.write_text("warehouse,sku,quantity,mode\n" + "".join(f"berlin-1,{skus[n % 4]},1,add\n" for n in range(600)))
    report = import_stock(path)
    [row] = OutboxEvent.objects.filter(event_type="inventory.adjusted_batch")
    stored = bytes(row.payload)
    envelope, batch = unpack_envelope(stored)
    assert envelope.SerializeToString() == stored and len(envelope.payload.value) > 16_384
    assert batch.SerializeToString() == envelope.payload.value
    assert (batch.version, batch.reason, batch.reference) == (1, "adjustment", f"import:{report.batch_id}")
    milk = Variant.objects.get(sku="MILK")
    assert [(i.line, i.sku, i.delta.value, i.on_hand_after.value) for i in batch.items][:5] == [
        (2, "MILK", "1.000", "11.000"),
        (3, "EGGS", "1.000", "1.000"),
        (4, "MÜSLI-ÄÖÜ", "1.000", "1.000"),
        (5, "CRATE\\6\tPACK", "1.000", "1.000"),
        (6, "MILK", "1.000", "12.000"),
    ]
    last = batch.items[-1]
    assert (last.line, last.warehouse_code, last.variant_id, last.on_hand_after.unit) == (
        601,
        "berlin-1",
        str(Variant.objects.get(sku="CRATE\\6\tPACK").pk),
        "piece",
    )
    assert on_hand("MILK") == Decimal(160) and str(milk.pk) == batch.items[0].variant_id
    assert_ledger_matches()


def test_an_import_whose_ledger_fails_changes_nothing(shop: Path) -> None:
    """A failure after the items are written (here the movements' key to an actor who does not
    exist) reaches the caller as Django's error, and the import is rolled back whole."""
    path = shop / "count.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,MILK,3,set\nberlin-1,EGGS,4,add\n")
    with pytest.raises(IntegrityError):
        import_stock(path, actor_id=987_654_321)
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(10), None)  # no stock item of eggs either
    assert not ImportBatch.objects.exists() and not events_of("inventory.adjusted_batch")
    assert not StockMovement.objects.filter(reference__startswith="import:").exists()
    assert import_stock(path).status == "applied"  # the connection is usable again
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(3), Decimal(4))
