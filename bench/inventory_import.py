"""Stock import rows per second against a raw PostgreSQL `COPY` of the same file, and the
import's peak memory.

Run on demand against the real services (not part of the tests):

    make services-up && eval "$(scripts/services env)" && .venv/bin/python bench/inventory_import.py

1. Builds W warehouses and S variants (W x S = --rows) and writes a CSV of one `set` row per pair.
2. COPY: streams the file into an unindexed scratch table through psycopg (the floor: parsing and
   writing rows, nothing checked).
3. Import: `manage.py import_stock FILE --no-progress` in a child process, so the wall time is
   the command's and its peak resident memory (ru_maxrss) is the import's alone. It COPYs the
   file into a staging table, checks every row in SQL, then applies them in one transaction: per
   row a stock item (created here) and a ledger movement, and inventory.adjusted_batch outbox
   events of 1,000 items each.
Prints rows/s for both, the ratio (import / COPY), how long the import held the stock items
locked (from its lock to its commit) and the peak memory; --rows 100000 and --rows 1000000 (the
default) show whether memory grows with the file; --again then imports a second count of the
same (now existing) items, the UPDATE path. The command runs with --verbosity 2: it prints the seconds of
each phase (load, check, compose, lock, ..., commit). --floor then times the rows alone: the file
COPYed in, its rows resolved to warehouses and variants, their stock items and ledger rows
inserted, one statement each, into empty tables shaped like (and indexed as) the real ones; nothing
checked beyond that, composed or announced, no process started: what no import of the file can
go below, as a ratio against the same COPY. Runs in its own database (see
inventory_common.py), dropped afterwards unless --keep.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import inventory_common  # first: sets Django up on the bench database
from django.db import connection

from catalog.models import Category, Product, Variant
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from inventory.models import StockItem, StockMovement
from inventory.selectors import find_ledger_drift
from inventory.services import save_warehouse

REPO = Path(__file__).resolve().parent.parent
BATCH = 10_000


def build_catalog(warehouses: int, skus: int) -> list[str]:
    codes = [f"store-{n:02d}" for n in range(warehouses)]
    for code in codes:
        save_warehouse(code=code, name=f"Store {code}")
    category = Category.objects.create(name="Bench", slug="bench", path="/")
    for start in range(0, skus, BATCH):
        products = Product.objects.bulk_create(
            [
                Product(name=f"Item {n}", slug=f"item-{n}", category=category)
                for n in range(start, min(start + BATCH, skus))
            ]
        )
        Variant.objects.bulk_create(
            [
                Variant(product=p, sku=f"SKU-{start + i:07d}", name="1 pc", price=Decimal("1.00"), currency="EUR")
                for i, p in enumerate(products)
            ]
        )
    return codes


def write_file(path: Path, codes: list[str], skus: int, modulo: int = 97) -> None:
    with path.open("w") as out:
        out.write("warehouse,sku,quantity,mode\n")
        for code in codes:
            out.writelines(f"{code},SKU-{n:07d},{n % modulo + 1},set\n" for n in range(skus))


def bench_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy (warehouse text, sku text, quantity numeric, mode text)")
    connection.ensure_connection()
    started = time.perf_counter()
    with (
        connection.connection.cursor() as cursor,
        path.open("rb") as source,
        cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        while block := source.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - started  # autocommit: the COPY committed as it ended
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return seconds


def bench_rows_alone(path: Path) -> dict[str, float]:
    """Seconds of what any import of the file must do, each step one statement and nothing more:
    COPY it in, find each row's warehouse and variant, insert its stock item, insert its ledger
    row. The items and the ledger go into scratch copies of the two tables (columns, defaults,
    checks, indexes and the items' fillfactor; not their triggers). Nothing is checked beyond the
    joins, nothing composed or announced, no process started."""
    seconds: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'inventory_stockitem'::regclass")
        options = ", ".join(cursor.fetchone()[0] or ["fillfactor = 100"])
        cursor.execute(f"CREATE TABLE floor_items (LIKE inventory_stockitem INCLUDING ALL) WITH ({options})")
        cursor.execute("CREATE TABLE floor_ledger (LIKE inventory_stockmovement INCLUDING ALL)")
        cursor.execute("CREATE TEMP TABLE floor_stage (warehouse text, sku text, quantity numeric, mode text)")
        started = time.perf_counter()
        stage = "COPY floor_stage FROM STDIN WITH (FORMAT csv, HEADER true)"
        with path.open("rb") as source, cursor.copy(stage) as copy:
            while block := source.read(1 << 20):
                copy.write(block)
        seconds["copy"] = time.perf_counter() - started
        statements = {
            "resolve": "CREATE TEMP TABLE floor_rows AS SELECT w.id AS warehouse_id, v.id AS variant_id, s.quantity "
            "FROM floor_stage s JOIN inventory_warehouse w ON w.code = s.warehouse "
            "JOIN catalog_variant v ON v.sku = s.sku",
            "items": "INSERT INTO floor_items (warehouse_id, variant_id, on_hand, reserved, low_stock_threshold, "
            "version, created_at, updated_at) SELECT warehouse_id, variant_id, quantity, 0, 0, 2, now(), now() "
            "FROM floor_rows",
            "ledger": "INSERT INTO floor_ledger (stock_item_id, on_hand_delta, reserved_delta, reason, reference, "
            "note, actor_id, created_at) SELECT id, on_hand, 0, 'adjustment', 'import:1 line ' || id, "
            "'set ' || on_hand || ' from stock.csv', NULL, now() FROM floor_items",
        }
        for step, sql in statements.items():
            started = time.perf_counter()
            cursor.execute(sql)
            seconds[step] = time.perf_counter() - started
        cursor.execute("DROP TABLE floor_items, floor_ledger, floor_rows, floor_stage")
    return seconds


# Runs the command and prints its peak resident memory. The command is started from this small
# process, not from the bench: a child's ru_maxrss starts at the resident size of the process it
# was forked from, and the bench's own (its catalog built) is larger than the import's.
LAUNCHER = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print('peak', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def bench_import(path: Path) -> tuple[float, int, str]:
    env = {**os.environ, "DATABASE_URL": inventory_common.BENCH_URL, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "import_stock", str(path), "--no-progress", "--verbosity", "2"]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"the import failed:\n{done.stdout}\n{done.stderr}")
    peak_kb = int(re.findall(r"^peak (\d+)$", done.stderr, re.MULTILINE)[-1])
    return seconds, peak_kb, done.stdout.strip()


def locked_seconds(output: str) -> str:
    """How long the import said it held the stock locked ("?" if it did not say)."""
    locked = re.search(r"Stock locked for ([0-9.]+) s", output)
    return locked.group(1) if locked else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the file")
    parser.add_argument("--warehouses", type=int, default=10)
    parser.add_argument(
        "--again", action="store_true", help="then import a second count of the same items (the UPDATE path)"
    )
    parser.add_argument(
        "--floor", action="store_true", help="then time the rows alone: what no import of the file can go below"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    skus = args.rows // args.warehouses
    rows = skus * args.warehouses
    try:
        inventory_common.migrate()
        print(inventory_common.machine())
        codes = build_catalog(args.warehouses, skus)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "stock.csv"
            write_file(path, codes, skus)
            size = path.stat().st_size
            copy_seconds = bench_copy(path)
            import_seconds, peak_kb, output = bench_import(path)
            assert StockItem.objects.count() == rows and StockMovement.objects.count() == rows
            batches = OutboxEvent.objects.filter(event_type="inventory.adjusted_batch").values_list(
                "payload", flat=True
            )
            assert sum(len(unpack_envelope(bytes(p))[1].items) for p in batches.iterator()) == rows
            assert not find_ledger_drift()
            print(output)
            print(
                f"{rows:,} rows ({size / 1e6:.0f} MB CSV): import_stock {rows / import_seconds:,.0f} rows/s "
                f"({import_seconds:.0f} s), raw COPY {rows / copy_seconds:,.0f} rows/s ({copy_seconds:.1f} s), "
                f"ratio {copy_seconds / import_seconds:.4f} (1:{import_seconds / copy_seconds:,.0f}); stock locked "
                f"for {locked_seconds(output)} s; import peak memory {peak_kb / 1024:.0f} MB RSS"
            )
            if args.again:  # every item exists now: the UPDATE path, most rows changed
                again = Path(folder) / "recount.csv"
                write_file(again, codes, skus, modulo=89)
                again_seconds, _, again_output = bench_import(again)
                assert not find_ledger_drift()
                print(again_output)
                print(
                    f"again, {rows:,} existing items counted: import_stock {rows / again_seconds:,.0f} rows/s "
                    f"({again_seconds:.0f} s), ratio {copy_seconds / again_seconds:.4f}; "
                    f"stock locked for {locked_seconds(again_output)} s"
                )
            if args.floor:
                steps = bench_rows_alone(path)
                alone = sum(steps.values())
                print(
                    "the rows alone: "
                    + " + ".join(f"{step} {step_seconds:.2f} s" for step, step_seconds in steps.items())
                    + f" = {alone:.1f} s, ratio {copy_seconds / alone:.4f} (no import of this file can go above it)"
                )
    finally:
        if not args.keep:
            inventory_common.drop_bench_database()


if __name__ == "__main__":
    main()
