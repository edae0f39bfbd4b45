"""Hot-item reservations per second with many concurrent clients, against a raw conditional UPDATE
loop on one row, in the same run; then the oversell check repeated many times.

Run on demand against the real services (not part of the tests):

    make services-up && eval "$(scripts/services env)" && .venv/bin/python bench/inventory_reservations.py

1. Throughput: C client processes (no shared GIL), released together, call `reserve_stock` for one
   unit of the same stock item for S seconds (each a full reservation: its row, line, ledger
   movement, outbox event, cache drop). Then the same C processes run the bare statement
   `UPDATE ... SET reserved = reserved + 1 WHERE id = %s AND on_hand - reserved >= 1` in
   autocommit on one row, through psycopg, for S seconds. Prints both rates, the ratio
   (service / raw) and the service's latency percentiles; then the service again with each client
   on its own item, which tells whether the hot row or the clients' CPU is the limit. A single
   client's cost per call (both ways) comes first.
2. Oversell check: R rounds of 200 client threads racing for 10 units; every round must end with
   exactly 10 reservations, 190 out_of_stock refusals, levels 10/10 and a matching ledger.
Runs in its own database (see inventory_common.py), dropped afterwards unless --keep.
"""

import argparse
import multiprocessing
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import inventory_common  # first: sets Django up on the bench database
import psycopg
from django.db import connections

from catalog.models import Category, Product, Variant
from config.db.postgresql.base import search_path
from inventory.errors import OutOfStock
from inventory.models import Reservation, StockItem
from inventory.selectors import find_ledger_drift
from inventory.services import receive_stock, reserve_stock, save_warehouse

WAREHOUSE = "bench-store"
PLENTY = Decimal(1_000_000_000)
SPREAD: list[int] = []  # one variant per client, for the run without a hot row (copied into the forks)


def make_item(sku: str, on_hand: Decimal) -> StockItem:
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench", "path": "/"})
    product = Product.objects.create(name=sku, slug=sku.lower(), category=category)
    variant = Variant.objects.create(product=product, sku=sku, name="1 pc", price=Decimal("1.00"), currency="EUR")
    item, _ = receive_stock(warehouse_code=WAREHOUSE, variant=variant, quantity=on_hand, reference="bench")
    return StockItem.objects.get(pk=item.id)


def service_client(index: int, variant_id: int, seconds: float, barrier: Any, results: Any) -> None:
    connections.close_all()  # never share the parent's connection across fork
    latencies: list[float] = []
    barrier.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        reserve_stock(
            owner_type="bench",
            owner_id=f"{variant_id}-{index}-{len(latencies)}",
            lines=[(SPREAD[index] if variant_id == 0 else variant_id, 1)],
            warehouse_code=WAREHOUSE,
        )
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    results.put(latencies)


def raw_client(index: int, item_id: int, seconds: float, barrier: Any, results: Any) -> None:
    done = 0
    options = f"-c search_path={search_path()}"  # the tables live in their app schemas
    with psycopg.connect(inventory_common.BENCH_URL, autocommit=True, options=options) as conn, conn.cursor() as cursor:
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cursor.execute(
                "UPDATE inventory_stockitem SET reserved = reserved + 1 WHERE id = %s AND on_hand - reserved >= 1",
                [item_id],
            )
            assert cursor.rowcount == 1
            done += 1
    results.put(done)


def reporting(target: Any) -> Any:
    """Run a client; its failure goes on the queue too, so the parent never waits for it."""

    def run(index: int, argument: int, seconds: float, barrier: Any, results: Any) -> None:
        try:
            target(index, argument, seconds, barrier, results)
        except BaseException as exc:
            barrier.abort()
            results.put(exc)

    return run


def run_clients(target: Any, argument: int, clients: int, seconds: float) -> list[Any]:
    """What each client process put on the queue."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients), context.Queue()
    connections.close_all()
    processes = [
        context.Process(target=reporting(target), args=(n, argument, seconds, barrier, results)) for n in range(clients)
    ]
    for process in processes:
        process.start()
    outputs = [results.get(timeout=seconds + 120) for _ in processes]
    failures = [output for output in outputs if isinstance(output, BaseException)]
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed: {failures[0]!r}")
    for process in processes:
        process.join()
        assert process.exitcode == 0, "a client failed"
    return outputs


def bench_throughput(clients: int, seconds: float) -> None:
    hot = make_item("HOT", PLENTY)
    raw = make_item("RAW", PLENTY)
    latencies = [value for output in run_clients(service_client, hot.variant_id, clients, seconds) for value in output]
    service_rate = len(latencies) / seconds
    raw_rate = sum(run_clients(raw_client, raw.pk, clients, seconds)) / seconds
    StockItem.objects.filter(pk=raw.pk).update(reserved=0)  # the raw loop wrote no ledger: undo it
    SPREAD[:] = [make_item(f"COLD-{n}", PLENTY).variant_id for n in range(clients)]
    spread_rate = sum(len(output) for output in run_clients(service_client, 0, clients, seconds)) / seconds
    hot.refresh_from_db()
    assert hot.reserved == len(latencies), (hot.reserved, len(latencies))
    drift = [d for d in find_ledger_drift() if d.stock_item_id == hot.pk]
    assert not drift, drift
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"hot item, {clients} concurrent clients, {seconds:.0f} s each: reserve_stock {service_rate:,.0f}/s, "
        f"raw conditional UPDATE {raw_rate:,.0f}/s, ratio {service_rate / raw_rate:.2f}"
    )
    print(f"the same clients each on its own item (no hot row): reserve_stock {spread_rate:,.0f}/s")
    print(
        f"reserve_stock latency on the hot item: p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms "
        f"({len(latencies):,} reservations; ledger matches)"
    )


def oversell_round(number: int) -> Counter[str]:
    item = make_item(f"TEN-{number}", Decimal(10))
    barrier = threading.Barrier(200)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(index: int) -> None:
        barrier.wait()
        try:
            reserve_stock(
                owner_type="cart", owner_id=f"{number}-{index}", lines=[(item.variant_id, 1)], warehouse_code=WAREHOUSE
            )
            outcome = "reserved"
        except OutOfStock:
            outcome = "out_of_stock"
        except Exception as exc:
            outcome = type(exc).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item.refresh_from_db()
    assert (item.on_hand, item.reserved) == (10, 10), (item.on_hand, item.reserved)
    assert Reservation.objects.filter(lines__stock_item=item).count() == outcomes["reserved"]
    return outcomes


def bench_single_client(count: int) -> None:
    """One client, one call at a time: the cost of a reservation without any contention."""
    item = make_item("SOLO", PLENTY)
    started = time.perf_counter()
    for n in range(count):
        reserve_stock(owner_type="solo", owner_id=str(n), lines=[(item.variant_id, 1)], warehouse_code=WAREHOUSE)
    service = (time.perf_counter() - started) / count
    options = f"-c search_path={search_path()}"
    with psycopg.connect(inventory_common.BENCH_URL, autocommit=True, options=options) as conn:
        started = time.perf_counter()
        for _ in range(count):
            conn.execute(
                "UPDATE inventory_stockitem SET reserved = reserved + 1 WHERE id = %s AND on_hand - reserved >= 1",
                [item.pk],
            )
        raw = (time.perf_counter() - started) / count
        conn.execute("UPDATE inventory_stockitem SET reserved = reserved - %s WHERE id = %s", [count, item.pk])
    print(
        f"one client, {count} calls: reserve_stock {service * 1000:.2f} ms each ({1 / service:,.0f}/s), "
        f"raw conditional UPDATE {raw * 1000:.2f} ms each ({1 / raw:,.0f}/s)"
    )


def bench_oversell(rounds: int) -> None:
    tally: Counter[tuple[tuple[str, int], ...]] = Counter()
    started = time.perf_counter()
    for number in range(rounds):
        tally[tuple(sorted(oversell_round(number).items()))] += 1
    assert not find_ledger_drift()
    print(
        f"oversell check, {rounds} rounds of 200 clients for 10 units ({time.perf_counter() - started:.0f} s): "
        + "; ".join(f"{count} round(s) {dict(outcome)}" for outcome, count in tally.items())
    )
    assert list(tally) == [(("out_of_stock", 190), ("reserved", 10))], tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32, help="concurrent client processes")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each throughput run")
    parser.add_argument("--rounds", type=int, default=25, help="rounds of the 200-for-10 oversell check")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    try:
        inventory_common.migrate()
        save_warehouse(code=WAREHOUSE, name="Bench store")
        print(inventory_common.machine())
        bench_single_client(500)
        bench_throughput(args.clients, args.seconds)
        bench_oversell(args.rounds)
    finally:
        if not args.keep:
            inventory_common.drop_bench_database()


if __name__ == "__main__":
    main()
