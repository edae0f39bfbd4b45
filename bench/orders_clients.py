"""The client processes of bench/orders_placement.py: each one, forked by `run_clients`, takes the
next customer of its run (checkout, place, or both) or runs the baseline's SQL transaction until the
work or the time is up, and measures its latencies and its own and its backend's CPU time. Imported
after Django is set up on the scratch database."""

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection, connections
from orders_baseline import Basket, sql_order
from orders_rounds import Figures, Outcome, backend_cpu_seconds, percentiles
from orders_shop import Shopper

from config.celery import app as celery_app
from orders.services.checkout import start_checkout
from orders.services.placement import place_order

GATEWAY, PAYMENT_METHOD = "cash_on_delivery", "cash"  # cash_on_delivery takes "cash" or nothing

# Filled by the parent before it forks the clients (each process gets a copy).
WORK: dict[str, list[Shopper]] = {}
BASKETS: list[Basket] = []  # the baseline's, one per customer
PAYLOAD = b""  # the baseline's outbox payload: as long as a real order.created envelope
BASELINE_URL = ""  # the scratch database the baseline's clients connect to


def checkout(shopper: Shopper) -> None:
    start_checkout(shopper.user, address_id=shopper.address_id, slot_id=shopper.slot_id)


def place(shopper: Shopper) -> None:
    place_order(shopper.user, payment_gateway=GATEWAY, payment_method=PAYMENT_METHOD)


def checkout_and_place(shopper: Shopper) -> None:
    checkout(shopper)
    place(shopper)


OPERATIONS: dict[str, Callable[[Shopper], None]] = {
    "checkout": checkout,
    "place": place,
    "checkout_and_place": checkout_and_place,
}


def service_client(operation: str, counter: Any, seconds: float, barrier: Any) -> Outcome:
    """Takes the next customer of WORK[operation] until none is left or the time is up."""
    connections.close_all()  # never share the parent's connection across fork
    connection.ensure_connection()  # warm up: the database, the cache and the broker connections
    from django.core.cache import cache

    cache.get("bench-warm-up")
    broker_pool: Any = celery_app.pool  # the broker connections (the stubs say producers)
    with broker_pool.acquire(block=True) as broker:
        broker.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    work, run = WORK[operation], OPERATIONS[operation]
    outcome = _timed(counter, seconds, barrier, backend, lambda number: run(work[number]), len(work), Exception)
    connections.close_all()
    return outcome


def sql_client(operation: str, counter: Any, seconds: float, barrier: Any) -> Outcome:
    kind, slot_count = operation.split(":")  # "sql:<slots>" or "sql+notify:<slots>"
    notify, slots = kind == "sql+notify", int(slot_count)
    with psycopg.connect(BASELINE_URL) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        conn.commit()

        def one(number: int) -> None:
            try:
                sql_order(cursor, number, number % slots + 1, BASKETS[number % len(BASKETS)], PAYLOAD, notify)
                conn.commit()
            except psycopg.Error:
                conn.rollback()
                raise

        return _timed(counter, seconds, barrier, conn.info.backend_pid, one, None, psycopg.Error)


def _timed(
    counter: Any,
    seconds: float,
    barrier: Any,
    backend: int,
    one: Callable[[int], None],
    limit: int | None,
    failure: type[Exception],
) -> Outcome:
    """Once the barrier opens, run `one` with the next number of the shared counter until the time
    is up (or `limit` numbers are taken): each call's latency, or its failure (a `failure`, counted
    by class name) and this process's and its backend's CPU time."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    barrier.wait()
    cpu, backend_cpu = time.process_time(), backend_cpu_seconds(backend)
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        if limit is not None and number >= limit:
            break
        begun = time.perf_counter()
        try:
            one(number)
        except failure as exc:
            errors[type(exc).__name__] += 1
            continue
        latencies.append(time.perf_counter() - begun)
    finished = time.monotonic()
    cpu, backend_cpu = time.process_time() - cpu, backend_cpu_seconds(backend) - backend_cpu
    return Outcome(latencies, errors, started, finished, cpu, backend_cpu)


def reporting(target: Callable[[str, Any, float, Any], Outcome]) -> Callable[..., None]:
    """Run a client; its failure goes on the queue too, so the parent never waits for it."""

    def run(operation: str, counter: Any, seconds: float, barrier: Any, results: Any) -> None:
        try:
            results.put(target(operation, counter, seconds, barrier))
        except BaseException as exc:
            barrier.abort()
            results.put(exc)

    return run


def run_clients(
    target: Callable[[str, Any, float, Any], Outcome], operation: str, clients: int, seconds: float
) -> Figures:
    context = multiprocessing.get_context("fork")
    barrier, results, counter = context.Barrier(clients), context.Queue(), context.Value("q", 0)
    connections.close_all()
    processes = [
        context.Process(target=reporting(target), args=(operation, counter, seconds, barrier, results))
        for _ in range(clients)
    ]
    for process in processes:
        process.start()
    outputs = [results.get(timeout=seconds + 600) for _ in processes]
    for process in processes:
        process.join()
    failures = [output for output in outputs if isinstance(output, BaseException)]
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed: {failures[0]!r}")
    latencies = [value * 1000 for output in outputs for value in output.latencies]
    errors: Counter[str] = sum((output.errors for output in outputs), Counter())
    elapsed = max(output.finished for output in outputs) - min(output.started for output in outputs)
    cuts = percentiles(latencies)
    cpu, backend_cpu = sum(output.cpu for output in outputs), sum(output.backend_cpu for output in outputs)
    return Figures(
        len(latencies), len(latencies) / elapsed, cuts[49], cuts[98], errors, elapsed, latencies, cpu, backend_cpu
    )
