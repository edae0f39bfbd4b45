"""Orders placed per second with many concurrent customers (5-line carts), against a pgbench-style SQL
transaction of an order's shape on the same database in the same run; with p50/p99 latency.

Run on demand against the real services (not part of the tests):

    make services-up && eval "$(scripts/services env)"
    .venv/bin/python bench/orders_placement.py [--clients 8] [--rounds 5] [--orders 2000] [--seconds 3]   # the defaults

Set up first (not timed), in a scratch database `<name>_bench_orders` next to DATABASE_URL's
(created, migrated, dropped afterwards unless --keep): a warehouse with plenty of stock of 20
variants (every fourth sold by weight), a zone serving DE 10115 picked from that warehouse, --slots
delivery slots with room for everyone, and customers with an address and a 5-line cart; --orders
of them checked out through `start_checkout` (stock reserved, a place in a slot held).

Measured:
1. One client alone: place_order's latency and where its time goes (statements by kind, COMMIT,
   the on-commit callbacks, the rest: Python and Redis).
2. `place_order(customer, payment_gateway="cash_on_delivery", payment_method="cash")` from C client
   processes (no shared GIL) released together, each taking the next checked-out customer until the
   round's share of them (--orders / --rounds) is placed or --seconds pass: orders/s, p50, p99.
3. The full customer path, `start_checkout` then `place_order`, the same way for --orders other
   customers (carts filled, not checked out).
4. The baseline: the same C processes run through psycopg, for --baseline-seconds, a raw SQL
   transaction of an order's shape on tables of its own (schema `bench`) in the same database:
   BEGIN; SELECT the slot row FOR UPDATE; INSERT the order and its 5 lines; 5 conditional stock
   UPDATEs in id order; INSERT an outbox row; COMMIT. Then the same plus the NOTIFY that every
   outbox write sends.
Runs 2 to 4 are made in --rounds rounds, the order turning each round (as bench/catalog_listing.py
does), so that drift and the other load on the machine weigh alike on the service and on the
baseline. Each ratio (orders/s / baseline tx/s) is computed round by round, from runs seconds
apart, and printed as the median of the rounds with the lowest and highest; the rates are the
rounds' medians (with their range), p50/p99 over every round's latencies. Each client also
measures its own CPU time and its backend's (/proc/<pid>/stat: PostgreSQL on the same machine),
per operation: unlike the rates, these hardly depend on what else the machine runs, and each ratio
is also given by them (the baseline's client + backend CPU per transaction over the service's per
order: what the rates' ratio tends to on CPUs the clients and PostgreSQL saturate).
During runs 2 and 3 a thread samples pg_stat_activity every 20 ms: which statements the busy
backends run or wait in (and on which lock), or whether their transaction waits for the client.

Excluded, and said so in the output: the payment worker (the authorization tasks are queued to a
Redis database nobody consumes: CELERY_BROKER_URL, by default REDIS_URL's server, database 8; they
are counted and purged), the outbox relay and the event consumers (EVENTS_IN_PROCESS_DISPATCH=0: the
events stay in the outbox), HTTP (the services are called directly). DEBUG is forced off (it would
record every query) and logging is at WARNING. Prints a table and appends it to
bench/results/orders_placement-<date>.txt.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SOURCE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
if not SOURCE_URL.startswith("postgres") or not REDIS_URL.startswith("redis"):
    sys.exit('run with DATABASE_URL (PostgreSQL) and REDIS_URL set: eval "$(scripts/services env)"')
_parts = urlsplit(SOURCE_URL)
BENCH_DB = f"{_parts.path.lstrip('/')}_bench_orders"
BENCH_URL = urlunsplit(_parts._replace(path=f"/{BENCH_DB}"))
MAINTENANCE_URL = urlunsplit(_parts._replace(path="/postgres"))
BROKER_URL = os.environ.get("CELERY_BROKER_URL") or urlunsplit(urlsplit(REDIS_URL)._replace(path="/8"))
if urlsplit(BROKER_URL).path.strip("/") in ("", urlsplit(REDIS_URL).path.strip("/") or "0"):
    sys.exit(
        f"CELERY_BROKER_URL ({BROKER_URL}) must be a Redis database of its own, not REDIS_URL's: "
        "the authorization tasks must reach no worker"
    )
os.environ.update(
    {
        "DATABASE_URL": BENCH_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "DEBUG": "0",
        "EVENTS_IN_PROCESS_DISPATCH": "0",
        "DATABASE_CONN_MAX_AGE": "0",
    }
)
os.environ.setdefault("SECRET_KEY", "bench-orders-" + "k" * 50)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-orders")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import orders_clients as clients  # noqa: E402  (bench/ is on sys.path)
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from orders_baseline import create_baseline_tables  # noqa: E402
from orders_clients import BASKETS, WORK, place, run_clients, service_client, sql_client  # noqa: E402
from orders_rounds import (  # noqa: E402
    BASELINE,
    NOTIFY,
    PATH,
    PLACE,
    RUNS,
    Figures,
    report_ratio,
    report_runs,
)
from orders_shop import PLENTY, VARIANTS, Shopper, basket_of, make_customers, make_shop, quantity_of  # noqa: E402
from pg_activity import (  # noqa: E402
    COMMIT,
    ON_COMMIT,
    SLOT_LOCKED,
    SPANS,
    TRANSACTION_OPEN,
    report_waits,
    sampling_waits,
    timing_statements,
)
from redis import Redis  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from events.models import OutboxEvent  # noqa: E402
from orders.models import Order  # noqa: E402
from payments.models import Payment  # noqa: E402

SOLO_ORDERS = 40


# --- Scratch database and shop ----------------------------------------------------------------


def admin_sql(statement: str) -> None:
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as conn:
        conn.execute(statement)


def create_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{BENCH_DB}"')


def drop_database() -> None:
    connections.close_all()
    admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


# --- One client alone: where the time goes ---------------------------------------------------


def solo(shoppers: list[Shopper], out: Callable[[str], None]) -> None:
    place(shoppers[0])  # warm up (imports, first connections), not counted
    spent: dict[str, list[float]] = defaultdict(list)
    latencies = []
    with timing_statements(spent):
        for shopper in shoppers[1:]:
            begun = time.perf_counter()
            place(shopper)
            latencies.append(time.perf_counter() - begun)
    count, total = len(latencies), sum(latencies)
    statements = {kind: times for kind, times in spent.items() if kind not in SPANS}
    in_statements = sum(sum(times) for times in statements.values())
    commit, hooks = sum(spent[COMMIT]), sum(spent[ON_COMMIT])
    out(
        f"one client alone, {count} orders: place_order {total / count * 1000:.1f} ms each "
        f"({count / total:.0f}/s), p50 {statistics.median(latencies) * 1000:.1f} ms; per order "
        f"{sum(len(t) for t in statements.values()) / count:.0f} statements {in_statements / count * 1000:.1f} ms, "
        f"COMMIT {commit / count * 1000:.1f} ms, on-commit callbacks (Celery publish to Redis) "
        f"{hooks / count * 1000:.1f} ms, the rest (Python, Redis cache) "
        f"{(total - in_statements - commit - hooks) / count * 1000:.1f} ms"
    )
    opened, locked = statistics.median(spent[TRANSACTION_OPEN]), statistics.median(spent[SLOT_LOCKED])
    out(
        f"  the transaction stays open {opened * 1000:.1f} ms (p50); from its SELECT ... FOR UPDATE of the "
        f"delivery slot (book_hold) to COMMIT {locked * 1000:.1f} ms: placements that need that lock go one at a "
        f"time, at most {1 / locked:.0f}/s whatever the CPUs"
    )
    out("  statements by time per order (count x kind: ms):")
    ranked = sorted(statements.items(), key=lambda item: -sum(item[1]))
    for kind, times in ranked:
        out(f"    {len(times) / count:4.1f} x {kind:100} {sum(times) / count * 1000:5.2f}")


# --- Checks, Redis, the report ---------------------------------------------------------------


def broker_consumers(redis: Redis) -> list[str]:
    """Clients blocked reading lists in the broker's database (a Celery worker would be one)."""
    db = urlsplit(BROKER_URL).path.strip("/")
    return [
        f"{client.get('addr')} {client.get('cmd')}"
        for client in redis.client_list()
        if str(client.get("db")) == db and client.get("cmd") in ("brpop", "blpop", "blmove", "brpoplpush")
    ]


def queued_tasks(redis: Redis) -> int:
    return int(redis.llen("celery"))


def drop_cache_keys() -> None:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if not prefix or not str(settings.CACHES["default"].get("BACKEND", "")).startswith("django_redis"):
        return
    cache = Redis.from_url(str(settings.CACHES["default"]["LOCATION"]))
    for key in cache.scan_iter(f"{prefix}:*"):
        cache.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the four runs, interleaved")
    parser.add_argument(
        "--orders",
        type=int,
        default=2000,
        help="customers checked out for the placement runs, shared out over the rounds (and as many for "
        "checkout + place)",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="at most this long for each service run")
    parser.add_argument("--baseline-seconds", type=float, default=3.0, help="length of each baseline run")
    parser.add_argument("--slots", type=int, default=10, help="delivery slots the customers are spread over")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    broker = Redis.from_url(BROKER_URL)
    if consumers := broker_consumers(broker):
        sys.exit(
            f"something consumes the broker database {BROKER_URL} ({consumers[0]}); "
            "set CELERY_BROKER_URL to another Redis database"
        )
    load_before = os.getloadavg()
    create_database()
    try:
        begun = time.perf_counter()
        call_command("migrate", verbosity=0)
        capacity = 3 * args.orders + SOLO_ORDERS
        variants, slots = make_shop(args.slots, capacity)
        WORK["checkout"] = make_customers("placed", args.orders + SOLO_ORDERS, variants, slots)
        WORK["checkout_and_place"] = make_customers("path", args.orders, variants, slots)
        BASKETS[:] = [
            [(v + 1, quantity_of(variants[v]), variants[v].price) for v in basket_of(n)] for n in range(args.orders)
        ]
        create_baseline_tables(BENCH_URL, args.slots, 10**9, VARIANTS, PLENTY)
        clients.BASELINE_URL = BENCH_URL
        checked = run_clients(service_client, "checkout", min(args.clients, os.cpu_count() or 2), 3600)
        assert checked.done == len(WORK["checkout"]) and not checked.errors, checked
        placing, solo_shoppers = WORK["checkout"][: args.orders], WORK["checkout"][args.orders :]
        shopping = WORK["checkout_and_place"]
        out(
            f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, bench/orders_placement.py --clients {args.clients} "
            f"--rounds {args.rounds} --orders {args.orders} --seconds {args.seconds:g} "
            f"--baseline-seconds {args.baseline_seconds:g} --slots {args.slots}"
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
        out(
            f"{os.cpu_count()} CPUs shared by clients and PostgreSQL {version} (synchronous_commit={sync}) on "
            f"loopback; load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        out(
            f"setup {time.perf_counter() - begun:.0f} s: {VARIANTS} variants stocked, zone DE 10115, {args.slots} "
            f"slots, {len(WORK['checkout'])} customers checked out with 5-line carts "
            f"({checked.rate:.0f} checkouts/s), {args.orders} more with carts only"
        )
        out(
            "excluded: the payment worker (authorizations queued to a Redis database no worker reads, then "
            "purged), the outbox relay and event consumers (events stay in the outbox), HTTP"
        )
        out()

        solo(solo_shoppers, out)
        out()
        # The solo orders made real order.created envelopes: the baseline's outbox rows are as long.
        envelope = OutboxEvent.objects.filter(event_type="order.created").values_list("payload", flat=True).first()
        clients.PAYLOAD = bytes(envelope or b"")
        queued_before = queued_tasks(broker)
        orders_before = Order.objects.count()
        load_runs = os.getloadavg()
        place_waits: Counter[str] = Counter()
        path_waits: Counter[str] = Counter()
        share = args.orders // args.rounds  # each round's customers, for either service run
        runs: dict[str, list[Figures]] = {name: [] for name in RUNS}
        for round_ in range(args.rounds):
            names = RUNS[round_ % len(RUNS) :] + RUNS[: round_ % len(RUNS)]  # the order turns each round
            for name in names:
                if name == PLACE:
                    WORK["place"] = placing[round_ * share : (round_ + 1) * share]  # copied into the forks
                    with sampling_waits(BENCH_URL, place_waits):
                        runs[name].append(run_clients(service_client, "place", args.clients, args.seconds))
                elif name == PATH:
                    WORK["checkout_and_place"] = shopping[round_ * share : (round_ + 1) * share]
                    with sampling_waits(BENCH_URL, path_waits):
                        runs[name].append(run_clients(service_client, "checkout_and_place", args.clients, args.seconds))
                else:
                    kind = "sql" if name == BASELINE else "sql+notify"
                    runs[name].append(
                        run_clients(sql_client, f"{kind}:{args.slots}", args.clients, args.baseline_seconds)
                    )
        queued = queued_tasks(broker) - queued_before
        new_orders = Order.objects.count() - orders_before
        served = sum(figures.done for name in (PLACE, PATH) for figures in runs[name])
        assert new_orders == served, (new_orders, served)
        assert queued == new_orders, (queued, new_orders)
        events = OutboxEvent.objects.filter(event_type="order.created").count()
        assert events == Order.objects.count() == Payment.objects.count(), events
        load_after = os.getloadavg()

        out(
            f"{args.clients} client processes, {args.rounds} rounds of four runs (the order turning each round); "
            f"a service run ends when its round's {share} customers are served or {args.seconds:g} s pass; "
            f"baseline runs {args.baseline_seconds:g} s"
        )
        report_runs(runs, out)
        out()
        report_ratio("place_order / baseline SQL order tx", runs[PLACE], runs[BASELINE], out)
        report_ratio("place_order / baseline SQL order tx + NOTIFY", runs[PLACE], runs[NOTIFY], out)
        report_ratio("checkout + place / baseline SQL order tx", runs[PATH], runs[BASELINE], out)
        out("what the database's backends were doing:")
        report_waits("place_order", place_waits, out)
        report_waits("start_checkout + place_order", path_waits, out)
        out(
            f"checks: {new_orders} orders, as many payments, order.created events and authorization tasks queued "
            f"({queued}; purged, never run)"
        )
        out(
            f"load average before the runs {load_runs[0]:.2f}, after them {load_after[0]:.2f} (1 min), "
            f"{load_after[1]:.2f} (5 min)"
        )
    finally:
        purged = celery_app.control.purge()
        if purged:
            print(f"(purged {purged} queued task(s) from {BROKER_URL})")
        try:
            drop_cache_keys()
        except Exception as exc:  # leftover keys expire on their own; say so, do not fail the run
            print(f"(could not remove the bench's cache keys: {exc})")
        if not args.keep:
            drop_database()
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    target = results / f"orders_placement-{datetime.now(UTC):%Y-%m-%d}.txt"
    with target.open("a") as file:
        file.write("\n".join(lines) + "\n\n")
    print(f"\nappended to {target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
