"""`manage.py import_stock`: every row checked first, all or nothing (or an exact partial import),
once per file, dry runs (large files and the batched events: test_imports_at_scale.py)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from catalog.models import Variant
from events.models import OutboxEvent
from inventory.models import ImportBatch, MovementReason, StockMovement
from inventory.services import import_stock, reserve_stock
from tests.inventory.helpers import assert_ledger_matches, events_of, on_hand

pytestmark = pytest.mark.django_db


def run(path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_stock", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


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
