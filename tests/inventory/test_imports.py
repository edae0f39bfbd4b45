"""`manage.py import_stock`: every row checked first, all or nothing (or an exact partial import),
once per file, dry runs, and large files in bounded memory."""

import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import User
from catalog.models import Category, Product, Variant
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from inventory.models import ImportBatch, MovementReason, StockItem, StockMovement, Warehouse
from inventory.services import ImportReport, import_stage, import_stock, reserve_stock
from inventory.services.import_report import NoProgress
from tests.inventory.helpers import assert_ledger_matches, events_of, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def run(path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_stock", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def on_hand(sku: str, warehouse: str = "berlin-1") -> Decimal | None:
    return (
        StockItem.objects.filter(variant__sku=sku, warehouse__code=warehouse).values_list("on_hand", flat=True).first()
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    make_warehouse("berlin-1")
    make_warehouse("berlin-2", "Berlin Nord")
    stocked(make_variant("MILK"), "10")
    make_variant("EGGS")
    make_variant("BANANA", unit="kg", step="0.1")
    return tmp_path


def test_a_csv_file_sets_and_adds_with_ledger_and_events(shop: Path) -> None:
    path = shop / "count.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,MILK,7,set\n"
        "berlin-1,EGGS,12,add\n"
        "berlin-2,BANANA,18.375,add\n"
        "berlin-1,EGGS,3,add\n"  # rows apply in file order
        "berlin-1,MILK,7,set\n"
    )  # unchanged by then
    User.objects.create_user("clerk@example.com", "a-long-password-123")
    out, err = run(path, "--user", "clerk@example.com", "--verbosity", "2")
    assert "Imported count.csv as import" in out and "5 row(s): 4 changed, 1 unchanged, 0 skipped" in out
    assert "Phases: load " in out and " lock " in out and " commit " in out  # where the time went
    assert "checking" in err and "applying" in err and "100%" in err  # the progress bar
    assert (on_hand("MILK"), on_hand("EGGS"), on_hand("BANANA", "berlin-2")) == (
        Decimal(7),
        Decimal(15),
        Decimal("18.375"),
    )
    batch = ImportBatch.objects.get()
    assert (batch.rows_total, batch.rows_changed, batch.rows_unchanged) == (5, 4, 1)
    imported = StockMovement.objects.filter(reference__startswith=f"import:{batch.pk}")
    assert sorted(imported.values_list("reference", flat=True)) == [f"import:{batch.pk} line {n}" for n in (2, 3, 4, 5)]
    assert {(m.reason, m.actor.email) for m in imported} == {(MovementReason.ADJUSTMENT, "clerk@example.com")}
    assert len([e for e in events_of("inventory.adjusted") if e.reference.startswith("import:")]) == 4
    assert_ledger_matches()


def test_a_file_with_bad_rows_applies_nothing_and_says_which_rows_and_why(shop: Path) -> None:
    path = shop / "bad.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,MILK,1,add\n"
        "berlin-1,NOPE,1,add\n"
        "paris-1,EGGS,1,add\n"
        "berlin-1,EGGS,1.5,add\n"
        "berlin-1,EGGS,-2,set\n"
        "berlin-1,BANANA,1.2345,add\n"
        "berlin-1,EGGS,x,add\n"
        "berlin-1,EGGS,1,replace\n"
        "berlin-1,EGGS,1\n"
        "berlin-1,EGGS,4,add\n"
    )
    before = OutboxEvent.objects.count(), StockMovement.objects.count()
    err = StringIO()
    with pytest.raises(CommandError, match=r"8 bad row.* of 10 .*nothing applied"):
        call_command("import_stock", str(path), "--no-progress", stderr=err)
    assert err.getvalue().splitlines() == [
        "line 3: bad row: SKU 'NOPE' does not exist",
        "line 4: bad row: warehouse 'paris-1' does not exist",
        "line 5: bad row: quantity 1.5: items sold by the piece are counted in whole numbers",
        "line 6: bad row: quantity -2: must not be negative",
        "line 7: bad row: quantity 1.2345: at most three decimals (grams, millilitres)",
        "line 8: bad row: quantity x: not a number (use a dot for decimals)",
        "line 9: bad row: mode must be set or add, not 'replace'",
        "line 10: bad row: expected 4 fields, found 3",
    ]
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(10), None)
    assert (OutboxEvent.objects.count(), StockMovement.objects.count()) == before
    assert not ImportBatch.objects.exists()


def test_a_partial_import_applies_the_good_rows_and_reports_exactly_the_skipped_ones(shop: Path) -> None:
    path = shop / "partial.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,MILK,1,add\n"
        "berlin-1,NOPE,1,add\n"
        "berlin-1,EGGS,4,add\n"
        "berlin-1,EGGS,one,add\n"
    )
    out, err = run(path, "--partial", "--no-progress")
    assert err.splitlines() == [
        "line 3: skipped: SKU 'NOPE' does not exist",
        "line 5: skipped: quantity one: not a number (use a dot for decimals)",
    ]
    assert "4 row(s): 2 changed, 0 unchanged, 2 skipped" in out
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(11), Decimal(4))
    assert ImportBatch.objects.get().rows_skipped == 2
    assert_ledger_matches()


def test_the_same_file_twice_adds_once(shop: Path) -> None:
    path = shop / "delivery.csv"
    path.write_text("warehouse,sku,quantity\nberlin-1,MILK,5\nberlin-1,EGGS,6\n")
    run(path, "--mode", "add")
    out, _ = run(path, "--mode", "add")
    assert "delivery.csv was already imported (import" in out and "nothing applied" in out
    (shop / "copy.csv").write_bytes(path.read_bytes())  # another name, the same content
    out, _ = run(shop / "copy.csv", "--mode", "add")
    assert "already imported" in out
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(15), Decimal(6))
    assert ImportBatch.objects.count() == 1
    with pytest.raises(CommandError, match="bad row"):  # rows without a mode need --mode
        run(shop / "copy.csv")
    assert_ledger_matches()


def test_a_dry_run_shows_the_outcome_and_changes_nothing(shop: Path) -> None:
    path = shop / "count.jsonl"
    path.write_text(
        '{"warehouse": "berlin-1", "sku": "MILK", "quantity": 2, "mode": "set"}\n'
        "\n"
        '{"warehouse": "berlin-1", "sku": "BANANA", "quantity": 2.5, "mode": "add"}\n'
        '{"warehouse": "berlin-1", "sku": "EGGS", "quantity": "3", "mode": "add"}\n'
    )
    events = OutboxEvent.objects.count()
    out, _ = run(path, "--dry-run")
    assert "Dry run of count.jsonl, nothing applied: 3 row(s): 3 changed" in out
    assert on_hand("MILK") == Decimal(10) and on_hand("BANANA") is None
    assert OutboxEvent.objects.count() == events and not ImportBatch.objects.exists()
    out, _ = run(path)
    assert "3 changed" in out
    assert (on_hand("MILK"), on_hand("BANANA"), on_hand("EGGS")) == (Decimal(2), Decimal("2.5"), Decimal(3))


def test_json_lines_rows_are_checked_like_csv_rows(shop: Path) -> None:
    path = shop / "bad.jsonl"
    path.write_text(
        '{"warehouse": "berlin-1", "sku": "MILK", "quantity": 1, "mode": "add"}\n'
        '{"warehouse": "berlin-1", "sku": "MILK", "quantity": 1, "mode": "add"\n'
        '["berlin-1", "MILK", 1]\n'
        '{"warehouse": "berlin-1", "sku": "MILK", "qty": 1, "mode": "add"}\n'
        '{"warehouse": "berlin-1", "sku": "MILK", "quantity": true, "mode": "add"}\n'
    )
    err = StringIO()
    with pytest.raises(CommandError, match="4 bad row"):
        call_command("import_stock", str(path), "--no-progress", stderr=err)
    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == ["line 2", "line 3", "line 4", "line 5"]
    assert "unknown key(s) qty; missing key(s) quantity" in err.getvalue()
    assert on_hand("MILK") == Decimal(10)


def test_a_count_below_what_is_reserved_is_a_bad_row(shop: Path) -> None:
    milk = Variant.objects.get(sku="MILK")
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.pk, 6)], warehouse_code="berlin-1")
    path = shop / "count.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,MILK,5,set\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_stock", str(path), "--no-progress", stderr=err)
    assert "line 2: bad row: cannot set on-hand to 5.000: 6.000 is reserved" in err.getvalue()


def test_a_file_without_the_right_header_is_refused_whole(shop: Path) -> None:
    path = shop / "wrong.csv"
    path.write_text("store,sku,qty\nberlin-1,MILK,1\n")
    with pytest.raises(CommandError, match="the header must name the columns"):
        run(path)
    with pytest.raises(CommandError, match="Cannot tell the format"):
        (shop / "stock.txt").write_text("x")
        run(shop / "stock.txt")


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


def test_bad_rows_anywhere_in_a_file_are_reported_with_their_lines_and_nothing_is_applied(shop: Path) -> None:
    path = shop / "big.csv"
    with path.open("wb") as out:
        out.write(b"warehouse,sku,quantity,mode\n")
        for n in range(2, 1_001):
            if n == 500:
                out.write(b"berlin-1,MILK,\xff\xfe,add\n")  # not UTF-8
            elif n == 700:
                out.write(b'berlin-1,"MILK\nX",1,add\n')  # a quoted field over two lines: one row at line 700
            else:
                out.write(b"berlin-1,MILK,1,add\n")
        out.write(b"berlin-2,BANANA,1E-5,add\nberlin-2,EGGS,1,add\n")
    errors: list[tuple[int, str]] = []
    report = import_stock(path, on_error=lambda error: errors.append((error.line, error.reason)))
    assert (report.status, report.rows_total, report.rows_bad) == ("rejected", 1_001, 3)
    assert errors == [
        (500, "the line is not valid UTF-8"),
        (700, "SKU 'MILK\\nX' does not exist"),
        (1_002, "quantity 1E-5: at most three decimals (grams, millilitres)"),
    ]
    assert on_hand("MILK") == Decimal(10) and on_hand("EGGS", "berlin-2") is None
    assert not ImportBatch.objects.exists() and not events_of("inventory.adjusted_batch")


def test_a_row_the_locked_stock_refuses_rejects_the_file_or_is_skipped_alone_when_partial(shop: Path) -> None:
    path = shop / "huge.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,BANANA,99999999999,set\n"
        "berlin-1,BANANA,1,add\n"  # above the largest quantity stored
        "berlin-1,BANANA,0.5,add\n"  # fits, once the row before is skipped
        "berlin-1,MILK,1,add\n"
    )
    errors: list[tuple[int, str]] = []
    report = import_stock(path, on_error=lambda error: errors.append((error.line, error.reason)))
    assert report.status == "rejected" and on_hand("MILK") == Decimal(10) and on_hand("BANANA") is None
    assert errors == [(3, "on-hand would become 100000000000.000, above the largest quantity stored")]
    errors.clear()
    report = import_stock(path, partial=True, on_error=lambda error: errors.append((error.line, error.reason)))
    assert (report.status, report.rows_changed, report.rows_skipped) == ("applied", 3, 1)
    assert [line for line, _ in errors] == [3]
    assert (on_hand("BANANA"), on_hand("MILK")) == (Decimal("99999999999.5"), Decimal(11))
    assert_ledger_matches()


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_apply_it_once(shop: Path) -> None:
    path = shop / "delivery.csv"
    path.write_text("warehouse,sku,quantity,mode\nberlin-1,MILK,5,add\nberlin-1,EGGS,6,add\n")
    barrier = threading.Barrier(2)

    def run_import() -> str:
        try:
            barrier.wait(timeout=10)
            return import_stock(path).status
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: run_import(), range(2)))
    assert statuses == ["already_imported", "applied"]
    assert (on_hand("MILK"), on_hand("EGGS")) == (Decimal(15), Decimal(6))
    assert ImportBatch.objects.count() == 1
    assert_ledger_matches()


def test_batch_events_written_by_postgresql_are_the_bytes_protobuf_writes(shop: Path) -> None:
    make_variant("MÜSLI-ÄÖÜ")  # several bytes per character
    path = shop / "many.csv"
    skus = ["MILK", "EGGS", "MÜSLI-ÄÖÜ"]
    # 600 changes: lines past 127 (two-byte varints) and a batch longer than 16 KB (a three-byte one)
    path.write_text("warehouse,sku,quantity,mode\n" + "".join(f"berlin-1,{skus[n % 3]},1,add\n" for n in range(600)))
    report = import_stock(path)
    [row] = OutboxEvent.objects.filter(event_type="inventory.adjusted_batch")
    stored = bytes(row.payload)
    envelope, batch = unpack_envelope(stored)
    assert envelope.SerializeToString() == stored and len(envelope.payload.value) > 16_384
    assert batch.SerializeToString() == envelope.payload.value
    assert (batch.version, batch.reason, batch.reference) == (1, "adjustment", f"import:{report.batch_id}")
    milk = Variant.objects.get(sku="MILK")
    assert [(i.line, i.sku, i.delta.value, i.on_hand_after.value) for i in batch.items][:4] == [
        (2, "MILK", "1.000", "11.000"),
        (3, "EGGS", "1.000", "1.000"),
        (4, "MÜSLI-ÄÖÜ", "1.000", "1.000"),
        (5, "MILK", "1.000", "12.000"),
    ]
    last = batch.items[-1]
    assert (last.line, last.warehouse_code, last.variant_id, last.on_hand_after.unit) == (
        601,
        "berlin-1",
        str(Variant.objects.get(sku="MÜSLI-ÄÖÜ").pk),
        "piece",
    )
    assert on_hand("MILK") == Decimal(210) and str(milk.pk) == batch.items[0].variant_id
    assert_ledger_matches()


def test_a_row_refused_under_the_lock_leaves_the_items_the_import_created_as_composed(shop: Path) -> None:
    path = shop / "mixed.csv"
    path.write_text(
        "warehouse,sku,quantity,mode\n"
        "berlin-1,EGGS,4,set\n"  # a new item, created before the existing ones are locked
        "berlin-1,MILK,99999999995,add\n"  # 10 + this: above the largest quantity stored
        "berlin-1,EGGS,1,add\n"
        "berlin-1,MILK,2,add\n"
    )
    errors: list[tuple[int, str]] = []
    report = import_stock(path, partial=True, on_error=lambda error: errors.append((error.line, error.reason)))
    assert (report.status, report.rows_changed, report.rows_skipped) == ("applied", 3, 1)
    assert [line for line, _ in errors] == [3]
    assert (on_hand("EGGS"), on_hand("MILK")) == (Decimal(5), Decimal(12))
    assert [item.on_hand_after.value for item in events_of("inventory.adjusted")[-3:]] == ["4.000", "5.000", "12.000"]
    assert_ledger_matches()
