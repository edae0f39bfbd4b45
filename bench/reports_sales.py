"""The sales report on a year of history: 1,000,000 order lines over 365 days, against a
hand-written SQL GROUP BY of the same figures in the same run; peak memory; and the forecast's
time per SKU-warehouse series.

Run on demand against the real services (not part of the tests):

    make bench NAME=reports_sales ARGS="--lines 1000000 --series 500"   # the defaults

Set up first (not timed), in a scratch database `<name>_bench_reports` next to DATABASE_URL's
(created, migrated, dropped afterwards unless --keep): 2,000 customers, 200 variants in 10
categories, a Berlin zone with a slot a day, and --lines order lines (4 an order) over 365 days,
written with INSERT ... SELECT from generate_series (deterministic: setseed), then ANALYZE.

Measured (best of --repeat):
1. `sales` by day over the 365 days (reports.catalogue: the ORM GROUP BY through orders'
   selectors, streamed with a server-side cursor, plus its previous-period comparison, then pandas).
2. The baseline: one hand-written SQL GROUP BY of the same figures per local day, fetched whole.
   ratio = report / baseline; the figures of both are compared (they must be equal).
3. Peak memory: the process's maximum resident set (ru_maxrss) after the runs, and the Python heap
   peak of one report run (tracemalloc).
4. Forecasts: --series synthetic daily series of 91 days (the nightly forecast's window; weekly
   season, trend, noise) through reports.catalogue.forecasting.forecast with a 14-day horizon and
   its backtest: time per series, and the extrapolation to 5,000 series.
Prints a table and appends it to bench/results/reports_sales-<date>.txt.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SOURCE_URL = os.environ.get("DATABASE_URL", "")
if not SOURCE_URL.startswith("postgres"):
    sys.exit('run with DATABASE_URL (PostgreSQL) set: eval "$(scripts/services env)"')
_parts = urlsplit(SOURCE_URL)
BENCH_DB = f"{_parts.path.lstrip('/')}_bench_reports"
BENCH_URL = urlunsplit(_parts._replace(path=f"/{BENCH_DB}"))
MAINTENANCE_URL = urlunsplit(_parts._replace(path="/postgres"))
os.environ.update(
    {"DATABASE_URL": BENCH_URL, "DEBUG": "0", "EVENTS_IN_PROCESS_DISPATCH": "0", "TIME_ZONE": "Europe/Berlin"}
)
os.environ.pop("DATABASE_REPLICA_URL", None)
os.environ.setdefault("SECRET_KEY", "bench-reports-" + "k" * 50)
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from datetime import time as dtime  # noqa: E402
from decimal import Decimal  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Category, Product, Variant  # noqa: E402
from delivery.models import DeliverySlot, Zone  # noqa: E402
from reports.catalogue import forecasting, get_report  # noqa: E402

END = date(2026, 6, 30)
START = END - timedelta(days=364)

BASELINE_SQL = """
SELECT (o.placed_at AT TIME ZONE %(tz)s)::date AS day,
       count(DISTINCT o.id) AS orders,
       count(DISTINCT o.id) FILTER (WHERE o.status = 'cancelled') AS cancellations,
       sum(l.quantity) AS items,
       sum(l.line_total) AS gross,
       coalesce(sum(l.line_total) FILTER (WHERE o.status = 'cancelled'), 0) AS cancelled,
       coalesce(sum(l.line_total * o.refunded_amount / nullif(o.subtotal, 0))
                FILTER (WHERE o.status <> 'cancelled'), 0) AS refunds
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s AND o.currency = 'EUR'
GROUP BY 1 ORDER BY 1
"""


def admin_sql(statement: str) -> None:
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as conn:
        conn.execute(statement)


def load(lines: int) -> float:
    """The shop and its year of history, in bulk; returns the seconds it took."""
    began = time.monotonic()
    orders = lines // 4
    unusable = make_password(None)
    User.objects.bulk_create([User(email=f"bench-{n}@example.com", password=unusable) for n in range(1, 2001)])
    categories = Category.objects.bulk_create(
        [Category(name=f"Category {n}", slug=f"cat-{n}", path=f"/{n}/") for n in range(10)]
    )
    products = Product.objects.bulk_create(
        [Product(name=f"Product {n}", slug=f"p-{n}", category=categories[n % 10]) for n in range(200)]
    )
    Variant.objects.bulk_create(
        [
            Variant(
                product=product, sku=f"SKU-{n:03d}", name="each", currency="EUR", price=Decimal(100 + n * 7 % 900) / 100
            )
            for n, product in enumerate(products)
        ]
    )
    zone = Zone.objects.create(
        code="bench", name="Bench", time_zone="Europe/Berlin", delivery_fee=0, warehouse_code="bench-store"
    )
    tz = ZoneInfo("Europe/Berlin")
    DeliverySlot.objects.bulk_create(
        [
            DeliverySlot(
                zone=zone,
                starts_at=at,
                ends_at=at + timedelta(hours=2),
                cutoff_at=at - timedelta(hours=1),
                capacity=10000,
            )
            for at in (datetime.combine(START + timedelta(days=d), dtime(17), tzinfo=tz) for d in range(365))
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.13)")
        # Orders spread over the year (more on Fridays and Saturdays), 5% cancelled, 3% part-refunded.
        cursor.execute(
            """INSERT INTO orders_order (customer_id, status, currency, subtotal, delivery_fee, total,
                              authorized_amount, refunded_amount, shipping_address, zone_id, slot_id,
                              slot_starts_at, slot_ends_at, cutoff_at, warehouse_code, payment_gateway, placed_at,
                              cancelled_by, cancel_reason, version, updated_at)
                          SELECT u.id, CASE WHEN r < 0.05 THEN 'cancelled' ELSE 'delivered' END, 'EUR', 0, 0, 0, 0,
                                 0, '{}', s.zone_id, s.id, s.starts_at, s.ends_at, s.cutoff_at, 'bench-store',
                                 CASE WHEN r < 0.6 THEN 'test_card' ELSE 'cash_on_delivery' END,
                                 s.starts_at - (random() * interval '20 hours'), '', '', 1, now()
                          FROM (SELECT g, random() AS r, floor(random() * 365)::int AS day,
                                       1 + floor(random() * 2000)::int AS who
                                FROM generate_series(1, %s) g) x
                          JOIN delivery_deliveryslot s ON (s.starts_at AT TIME ZONE 'Europe/Berlin')::date
                                                          = %s::date + x.day
                          JOIN accounts_user u ON u.email = 'bench-' || x.who || '@example.com'""",
            [orders, START.isoformat()],
        )
        cursor.execute("""INSERT INTO orders_orderline (order_id, variant_id, sku, name, unit, unit_price, quantity,
                              line_total, substitution, picked_sku, picked_name)
                          SELECT o.id, v.id, v.sku, v.name, 'piece', v.price, q.quantity, v.price * q.quantity,
                                 'similar', '', ''
                          FROM orders_order o CROSS JOIN generate_series(0, 3) k
                          JOIN LATERAL (SELECT 1 + floor(random() * 3)::int AS quantity,
                                               (o.id * 7 + k * 53) % 200 AS pick) q ON true
                          JOIN (SELECT id, sku, name, price, row_number() OVER (ORDER BY id) - 1 AS n
                                FROM catalog_variant) v ON v.n = q.pick""")
        cursor.execute("""UPDATE orders_order o SET subtotal = t.sum, total = t.sum, authorized_amount = t.sum,
                                 refunded_amount = CASE WHEN o.id % 33 = 0 AND o.status <> 'cancelled'
                                                        THEN round(t.sum / 4, 2) ELSE 0 END
                          FROM (SELECT order_id, sum(line_total) FROM orders_orderline GROUP BY 1) t
                          WHERE t.order_id = o.id""")
        cursor.execute("ANALYZE")
    return time.monotonic() - began


def timed(function, repeat: int):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--series", type=int, default=500, help="forecast series timed (extrapolated to 5,000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    out_lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        out_lines.append(line)

    admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{BENCH_DB}"')
    try:
        call_command("migrate", verbosity=0)
        seconds = load(args.lines)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orders_orderline")
            loaded = cursor.fetchone()[0]
        out(
            f"reports_sales {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {loaded:,} order lines over 365 days "
            f"({START} to {END}) loaded in {seconds:.1f} s"
        )
        report = get_report("sales")
        params = report.parameters({"start": START.isoformat(), "end": END.isoformat()})
        start, end = params.bounds()

        def baseline() -> list[tuple]:  # type: ignore[type-arg]
            with connection.cursor() as cursor:
                cursor.execute(BASELINE_SQL, {"tz": params.time_zone, "start": start, "end": end})
                return cursor.fetchall()

        baseline_seconds, rows = timed(baseline, args.repeat)
        report_seconds, result = timed(lambda: report.run(params), args.repeat)
        tracemalloc.start()
        report.run(params)
        heap_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        frame = result.frame
        same = (
            len(rows) == len(frame)
            and [r[1] for r in rows] == frame["orders"].tolist()
            and all(abs(float(r[4]) - g) < 0.005 for r, g in zip(rows, frame["gross"], strict=True))
            and all(abs(float(r[6]) - f) < 0.006 for r, f in zip(rows, frame["refunds"], strict=True))
        )
        out(f"  sales report by day (ORM GROUP BY + previous period + pandas): {report_seconds * 1000:8.0f} ms")
        out(f"  hand-written SQL GROUP BY of the same figures:                 {baseline_seconds * 1000:8.0f} ms")
        out(
            f"  ratio {report_seconds / baseline_seconds:.2f}x (at most 2x); figures equal: {same}; "
            f"{len(frame)} days, net {result.summary['totals']['net']:,.2f} EUR"
        )
        out(
            f"  peak memory: process RSS {rss_peak_mb:.0f} MB (at most 300), one report's Python heap "
            f"{heap_peak / 2**20:.1f} MB"
        )
        rng = np.random.default_rng(13)
        week = np.array([0.8, 0.8, 0.9, 1.0, 1.3, 1.5, 0.6])
        methods: dict[str, int] = {}
        began = time.perf_counter()
        for n in range(args.series):
            level = rng.uniform(2, 40)
            trend = rng.uniform(-0.05, 0.05) * level / 91
            history = np.clip(
                level * np.tile(week, 13) + trend * np.arange(91) + rng.normal(0, level * 0.2, 91), 0, None
            ).round()
            result_n = forecasting.forecast(history, 14)
            methods[result_n.method] = methods.get(result_n.method, 0) + 1
            del n
        per_series = (time.perf_counter() - began) / max(args.series, 1)
        out(
            f"  forecasts: {args.series} series of 91 days, 14 ahead with backtest: {per_series * 1000:.1f} ms a "
            f"series ({methods}); 5,000 series about {per_series * 5000:.0f} s on one core"
        )
    finally:
        connections.close_all()
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    target = results / f"reports_sales-{datetime.now(UTC):%Y-%m-%d}.txt"
    with target.open("a") as file:
        file.write("\n".join(out_lines) + "\n\n")
    print(f"\nappended to {target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
