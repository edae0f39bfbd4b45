"""Chaos on the real services through Toxiproxy, with the real processes: Redis cut while customers
browse, sign in and order; PostgreSQL cut under requests, and under the relay and a consumer; a
worker's child killed mid-task. Each case records its figures (`[chaos]` lines; pytest -s)."""

import itertools
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from accounts.models import Address, User
from core.queue import RETRY_BROKER_AFTER_SECONDS
from delivery.models import DispatchNotification, NotificationKind
from delivery.tasks import send_dispatch_notification
from events.models import OutboxEvent, ProcessedEvent
from orders.models import CartLine, Order
from payments.models import Payment, PaymentState
from reports.consumers import SalesProjection
from reports.models import DailySales
from tests.delivery.factories import make_shipment, make_slot, make_zone
from tests.events.helpers import emit_order_created
from tests.orders.helpers import Shop, make_shop
from tests.resilience.conftest import OWN_QUEUE, Process, Web, figures, record, service_env, wait_until
from tests.resilience.toxiproxy import Proxy

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "chaos-Pass-4821!"
_numbers = itertools.count(1)


def customer() -> tuple[str, int]:
    user = User.objects.create_user(f"chaos{next(_numbers)}-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    address = Address.objects.create(
        user=user, recipient_name="Ann", line1="Invalidenstr. 1", city="Berlin", postal_code="10115", country="DE"
    )
    return user.email, address.pk


def shop_visit(web: Web, shop: Shop, email: str, address: int, statuses: list[int]) -> str | None:
    """Browse, sign in, fill the cart, check out and place (cash on delivery); the order's number."""

    def call(*args: Any, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        found = web.call(*args, **kwargs)
        statuses.append(found[0])
        return found

    call("GET", "/api/v1/catalog/products/")
    call("GET", f"/api/v1/inventory/availability/?variant={shop.bread.pk}")
    status, body, _ = call("POST", "/api/v1/auth/login/", {"email": email, "password": PASSWORD})
    if status != 200:
        return None
    token = body["token"]
    call("POST", "/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "3"}, token=token)
    status, body, _ = call("POST", "/api/v1/checkout/", {"address": address, "slot": shop.slot.pk}, token=token)
    if status != 200:
        return None
    status, body, _ = call(
        "POST",
        "/api/v1/checkout/place/",
        {"payment_gateway": "cash_on_delivery", "payment_method": "cash", "expected_total": body["total"]},
        token=token,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    return str(body.get("number") or body.get("id")) if status == 201 else None


def payments_done(orders: int) -> bool:
    return Payment.objects.exclude(state=PaymentState.PENDING).count() >= orders


def test_redis_cut_while_customers_browse_sign_in_and_order(
    web: Web, worker: Process, proxies: dict[str, Proxy]
) -> None:
    shop = make_shop(capacity=50)
    people = [customer() for _ in range(4)]
    before: list[int] = []
    assert shop_visit(web, shop, *people[0], before) is not None, before
    # Its payment runs first: a task the worker holds when the broker goes is restored only after
    # the visibility timeout (payments' stalled-work redrive catches it sooner; README).
    wait_until(lambda: payments_done(1), 60, "the first payment to run", worker, web.process)

    proxies["redis"].cut()
    cut_at = time.monotonic()
    during: list[int] = []
    placed_during = [shop_visit(web, shop, email, address, during) for email, address in people[1:3]]
    status, body, _ = web.call("GET", "/readyz")
    proxies["redis"].restore()
    restored_at = time.monotonic()

    assert 500 not in during, figures(during)
    assert all(placed_during), during  # every customer signed in and ordered without Redis
    assert status == 200 and "redis" in body["degraded"], body  # degraded, still serving

    # The next customer comes after the web's pause on a broker that just failed (core.queue): their
    # payment is queued at once, and that send re-drives the ones kept during the cut (beat does
    # it every 30 s otherwise; no beat runs here).
    time.sleep(max(0.0, restored_at + RETRY_BROKER_AFTER_SECONDS - time.monotonic()))
    after: list[int] = []
    assert shop_visit(web, shop, *people[3], after) is not None, after
    # The payments queued while the broker was away were kept and re-driven: all four run once.
    recovery = wait_until(lambda: payments_done(4), 60, "the queued payment work to run", worker, web.process)
    assert Order.objects.count() == 4 and Payment.objects.count() == 4
    log = web.process.output()
    assert "redis unavailable since" in log and "re-drove" in log
    record(
        "redis cut: browse, sign in, order",
        requests=len(before) + len(during) + len(after),
        during_outage=figures(during),
        outage_seconds=round(restored_at - cut_at, 1),
        orders=Order.objects.count(),
        queued_work_done_after_seconds=round(recovery, 1),
    )


def test_requests_during_a_postgres_cut_answer_503_with_a_code_and_change_nothing(
    web: Web, proxies: dict[str, Proxy]
) -> None:
    shop = make_shop()
    email, _ = customer()
    status, body, _ = web.call("POST", "/api/v1/auth/login/", {"email": email, "password": PASSWORD})
    assert status == 200, body
    token = body["token"]
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    stop = threading.Event()

    def load() -> None:  # a customer adding to the cart over and over, in flight when the cut comes
        while not stop.is_set():
            answers.append(
                web.call("POST", "/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1"}, token=token)
            )

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(answers) >= 6, 30, "requests before the cut", web.process)
    served_before = len(answers)
    proxies["postgres"].cut()
    cut_at = time.monotonic()
    wait_until(lambda: sum(a[0] == 503 for a in answers) >= 10, 30, "503s during the cut", web.process)
    proxies["postgres"].restore()
    restored_at = time.monotonic()
    wait_until(lambda: answers[-1][0] in (200, 201), 30, "a request served after the cut", web.process)
    recovered = time.monotonic() - restored_at
    stop.set()
    for thread in threads:
        thread.join(30)

    statuses = [a[0] for a in answers]
    assert 500 not in statuses, figures(statuses)
    unavailable = [a for a in answers if a[0] == 503]
    assert {a[1]["code"] for a in unavailable} == {"database_unavailable"}, unavailable[:3]
    assert all(a[2].get("Retry-After") for a in unavailable)
    # No request half-applied: one whole unit per request answered 2xx, plus at most one per request
    # in flight at the cut (its commit may have landed with the answer lost: the client retries).
    ok = sum(1 for s in statuses if s in (200, 201))
    quantity = CartLine.objects.get(variant=shop.milk).quantity
    assert quantity == int(quantity) and ok <= quantity <= ok + len(threads), (quantity, ok)
    assert "database unavailable since" in web.process.output()
    record(
        "postgres cut: cart requests in flight",
        requests=len(statuses),
        before_cut=served_before,
        by_status=figures(statuses),
        outage_seconds=round(restored_at - cut_at, 1),
        recovery_seconds=round(recovered, 2),
    )


def processed() -> int:
    return ProcessedEvent.objects.filter(consumer_group=SalesProjection.group).count()


def published() -> int:
    return OutboxEvent.objects.filter(published_at__isnull=False).count()


@pytest.mark.usefixtures("kafka_topics")
def test_postgres_cut_while_the_relay_and_a_consumer_run_loses_and_repeats_no_event(
    proxies: dict[str, Proxy], started: Callable[..., Process]
) -> None:
    # The relay reaches PostgreSQL through one proxy, the consumer through another.
    relay = started("relay", [sys.executable, "manage.py", "relay_events"], service_env(proxies, "events_db"))
    consumer = started(
        "consumer",
        [sys.executable, "manage.py", "consume_events", "--group", SalesProjection.group],
        service_env(proxies, "postgres"),
    )
    wait_until(lambda: "relay: active" in relay.output(), 90, "the relay to start", relay, consumer)
    for n in range(10):
        emit_order_created(f"chaos-a{n}", total="1.00")
    wait_until(lambda: processed() == 10, 60, "the first events to be applied", relay, consumer)

    proxies["postgres"].cut()  # the consumer's database goes while events arrive on Kafka
    cut_at = time.monotonic()
    for n in range(10):
        emit_order_created(f"chaos-b{n}", total="1.00")
    wait_until(lambda: published() == 20, 30, "the relay to publish", relay, consumer)
    wait_until(lambda: "database unavailable since" in consumer.output(), 30, "the consumer to see it", consumer)
    proxies["events_db"].cut()  # then the relay's, mid LISTEN, while more events commit
    for n in range(10):
        emit_order_created(f"chaos-c{n}", total="1.00")
    wait_until(lambda: "database unavailable since" in relay.output(), 30, "the relay to see it", relay)
    proxies["events_db"].restore()
    proxies["postgres"].restore()
    restored_at = time.monotonic()
    recovery = wait_until(lambda: processed() == 30, 60, "every event to be applied", relay, consumer)

    assert published() == 30
    day = DailySales.objects.get()
    assert day.orders_placed == 30 and str(day.gross_placed) == "30.00"  # none lost, none twice
    for process in (relay, consumer):
        log = process.output()
        assert log.count("database unavailable since") == 1 and log.count("database back after") == 1, log[-3000:]
        assert process.stop() == 0, log[-3000:]  # still running; exits on the signal only
    record(
        "postgres cut: relay and consumer",
        events=30,
        applied=processed(),
        outage_seconds=round(restored_at - cut_at, 1),
        recovery_seconds=round(recovery, 1),
    )


def pool_children(worker: Process) -> list[int]:
    with open(f"/proc/{worker.popen.pid}/task/{worker.popen.pid}/children") as found:
        return [int(pid) for pid in found.read().split()]


def test_a_worker_child_killed_mid_task_leaves_one_effect_and_the_task_runs_again(worker: Process) -> None:
    shipment = make_shipment(make_slot(make_zone(f"z-{uuid.uuid4().hex[:6]}")))
    notice = DispatchNotification.objects.create(
        shipment=shipment, kind=NotificationKind.DELIVERED, recipient="ann@example.com", message="on its way"
    )
    with transaction.atomic():
        DispatchNotification.objects.select_for_update().get(pk=notice.pk)  # the task blocks on it
        send_dispatch_notification.apply_async((notice.pk,), queue=OWN_QUEUE)  # to this worker alone
        wait_until(lambda: lock_waiters() == 1, 30, "the task to be in flight", worker)
        victim = pool_children(worker)[0]
        os.kill(victim, signal.SIGKILL)  # the OOM killer's way: no cleanup, no ack
        killed_at = time.monotonic()
        wait_until(lambda: pool_children(worker) not in ([], [victim]), 30, "a new pool child", worker)
    recovery = wait_until(
        lambda: DispatchNotification.objects.filter(pk=notice.pk, sent_at__isnull=False).exists(),
        60,
        "the task to run again to completion",
        worker,
    )
    sent = f"dispatch notification sent id={notice.pk} "
    wait_until(lambda: sent in worker.output(), 30, "the worker to log the message", worker)
    assert worker.output().count(sent) == 1  # one message
    record(
        "worker child SIGKILL mid-task",
        effects=1,
        redelivered_after_seconds=round(time.monotonic() - killed_at, 1),
        recovery_seconds=round(recovery, 1),
    )


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            ['%"delivery_dispatchnotification"%'],
        )
        return int(cursor.fetchone()[0])


def test_a_slow_redis_costs_a_request_at_most_its_timeout_once_then_nothing(
    web: Web, proxies: dict[str, Proxy]
) -> None:
    shop = make_shop()
    assert web.call("GET", "/api/v1/catalog/products/")[0] == 200  # warm
    proxies["redis"].latency(3000)  # every Redis answer 3 s late: slower than the cache is worth
    timings: list[float] = []
    statuses: list[int] = []
    try:
        for n in range(12):
            started = time.monotonic()
            path = "/api/v1/catalog/products/" if n % 2 else f"/api/v1/inventory/availability/?variant={shop.milk.pk}"
            statuses.append(web.call("GET", path)[0])
            timings.append(time.monotonic() - started)
    finally:
        proxies["redis"].restore()
    assert statuses == [200] * 12, statuses
    # The first call waits out the 1 s socket timeout; the breaker spares most of the rest.
    assert max(timings) < 2.5, timings
    assert sorted(timings)[len(timings) // 2] < 0.5, timings
    record(
        "redis 3 s latency: browsing",
        requests=len(statuses),
        by_status=figures(statuses),
        slowest_seconds=round(max(timings), 2),
        median_seconds=round(sorted(timings)[len(timings) // 2], 3),
    )
