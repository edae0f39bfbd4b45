"""Cached product listing under gunicorn, against a trivial Django view served the same way.

Run on demand against the real services (not part of the tests):

    make services-up && eval "$(scripts/services env)" && .venv/bin/python bench/catalog_listing.py

Creates a scratch database next to DATABASE_URL's (dropped afterwards), loads the demo data plus
generated products, and starts three gunicorn servers with the same options on free ports:
1. the app, `GET /api/v1/catalog/products/` (cached in Redis: the measured case),
2. the app with the catalog cache off (CATALOG_CACHE_SECONDS=0: every request renders), for context,
3. a trivial Django view (bench/trivial_settings.py: the same settings and middleware, one view).
Concurrent client processes send requests for a bounded time to each in turn, in rounds (the order
turning each round, so that none is always measured right after another); prints req/s, p50/p99
latency, and the ratios to the trivial view: the median of the rounds' ratios (each from runs
seconds apart, so drift and the other load on the machine weigh alike on both sides), with their
lowest and highest, and the load average before and after, so a noisy run shows as one.
"""

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
LISTING = "/api/v1/catalog/products/?page_size=20"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin_sql(database_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_bench_catalog"
    maintenance = urlunsplit(parts._replace(path="/postgres"))  # DATABASE_URL's own database may not exist
    admin_sql(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(maintenance, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin_sql(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SEED = """
import itertools
from decimal import Decimal
from django.db import transaction
from catalog import services
from catalog.models import Brand, Category
categories = list(Category.objects.filter(depth=1)) or list(Category.objects.all())
brands = list(Brand.objects.all())
with transaction.atomic():
    for n in range({count}):
        product = services.create_product({{
            "name": f"Bench product {{n:04d}}", "slug": f"bench-product-{{n}}",
            "category": categories[n % len(categories)],
            "brand": brands[n % len(brands)], "description": "A generated product for the benchmark.",
            "attributes": {{"organic": n % 2 == 0, "origin": "DE"}}}})
        services.add_image(product.pk, {{"url": f"https://images.example.com/bench/{{n}}.jpg"}})
        services.create_variant(product.pk, {{"sku": f"BENCH-{{n}}-1", "name": "each", "currency": "EUR",
                                             "price": Decimal(n % 50) + Decimal("0.99")}})
        services.create_variant(product.pk, {{"sku": f"BENCH-{{n}}-KG", "name": "per kg", "currency": "EUR",
                                             "unit": "kg", "step": Decimal("0.1"), "price": Decimal("4.49")}})
"""


def prepare(env: dict[str, str], products: int) -> None:
    manage = [PYTHON, "manage.py"]
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["load_demo_data"],
        ["shell", "-c", SEED.format(count=products)],
    ):
        subprocess.run(manage + command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                GUNICORN,
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
            try:
                status, _, _ = fetch(port, "/healthz")
                if status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def fetch(port: int, path: str) -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("X-Cache", "")
    finally:
        connection.close()


def client(port: int, path: str, seconds: float, results: Any) -> None:
    """One client process: requests one after the other until the time is up; puts (latencies in
    ms, errors, cache hits) on `results`."""
    latencies: list[float] = []
    errors = hits = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, _, cache_state = fetch(port, path)
        except OSError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        errors += status != 200
        hits += cache_state == "HIT"
    results.put((latencies, errors, hits))


def load(port: int, path: str, seconds: float, clients: int) -> dict[str, float]:
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[tuple[list[float], int, int]] = context.Queue()
    processes = [context.Process(target=client, args=(port, path, seconds, results)) for _ in range(clients)]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = hits = 0
    for _ in processes:
        part, part_errors, part_hits = results.get()
        latencies += part
        errors += part_errors
        hits += part_hits
    for process in processes:
        process.join()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": cuts[49],
        "p99": cuts[98],
        "errors": errors,
        "hit_rate": hits / max(1, len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=5, help="measured runs of each server, interleaved")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server")
    parser.add_argument("--products", type=int, default=200, help="generated products on top of the demo data")
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit('run with DATABASE_URL (Postgres) and REDIS_URL set: eval "$(scripts/services env)"')

    logs = REPO / "bench" / "results"
    logs.mkdir(exist_ok=True)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with scratch_database(database_url) as bench_db:
        env = {
            **os.environ,
            "DATABASE_URL": bench_db,
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "CACHE_KEY_PREFIX": prefix,
            "LOG_LEVEL": "WARNING",
            "KAFKA_BOOTSTRAP_SERVERS": "",
            # Throttling still runs (one Redis call per request) but never refuses the benchmark.
            "API_RATE_ANON": "100000000/min",
            "API_RATE_USER": "100000000/min",
        }
        print(f"preparing {bench_db.rsplit('/', 1)[1]}: migrate, demo data, {args.products} generated products")
        prepare(env, args.products)
        trivial_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.trivial_settings"}
        uncached_env = {**env, "CATALOG_CACHE_SECONDS": "0", "CACHE_KEY_PREFIX": f"{prefix}-uncached"}
        with (
            gunicorn(env, args.workers, logs / "app.log") as app,
            gunicorn(uncached_env, args.workers, logs / "app-uncached.log") as uncached,
            gunicorn(trivial_env, args.workers, logs / "trivial.log") as trivial,
        ):
            targets = {
                "cached listing": (app, LISTING),
                "uncached listing": (uncached, LISTING),
                "trivial view": (trivial, "/trivial/"),
            }
            for port, path in targets.values():  # warm up: connections, imports, the cache entry
                for _ in range(50):
                    assert fetch(port, path)[0] == 200
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            load_before = os.getloadavg()[0]
            names = list(targets)
            for round_ in range(args.rounds):
                for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                    port, path = targets[name]
                    runs[name].append(load(port, path, args.seconds, args.clients))
            load_after = os.getloadavg()[0]
        try:
            from redis import Redis

            client_ = Redis.from_url(redis_url)
            for key in client_.scan_iter(f"{prefix}:*"):
                client_.delete(key)
        except Exception as exc:  # leftover keys expire on their own; say so, do not fail the run
            print(f"(could not remove the bench's Redis keys: {exc})")

    print(
        f"\n{args.clients} client processes x {args.seconds:.0f} s, {args.rounds} rounds; gunicorn {args.workers} "
        f"sync workers each; {os.cpu_count()} CPUs shared by servers and clients; load average "
        f"{load_before:.1f} before, {load_after:.1f} after\n"
    )
    print(f"{'':18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'cache hits':>12}")
    summary: dict[str, dict[str, float]] = {}
    for name, results in runs.items():
        merged = {key: statistics.median(r[key] for r in results) for key in results[0]}
        merged["errors"] = sum(r["errors"] for r in results)
        summary[name] = merged
        print(
            f"{name:18}{merged['rps']:9.0f}{merged['p50']:9.2f}{merged['p99']:9.2f}{merged['errors']:8.0f}"
            f"{merged['hit_rate']:11.0%}"
        )
    print()
    for name in ("cached listing", "uncached listing"):
        # Round by round: each ratio compares runs made seconds apart.
        ratios = sorted(r["rps"] / t["rps"] for r, t in zip(runs[name], runs["trivial view"], strict=True))
        print(
            f"ratio {name} / trivial view: {statistics.median(ratios):.2f} (median of {len(ratios)} rounds; "
            f"{ratios[0]:.2f} to {ratios[-1]:.2f})"
        )


if __name__ == "__main__":
    main()
