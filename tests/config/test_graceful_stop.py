"""SIGTERM drains the web process (gunicorn with config/gunicorn.py) and the Celery worker (prefork,
as the image's entrypoint runs it) without losing work (docs/decisions/0030).

Each test holds a row lock in the test's own transaction, so that a real request or task blocks
on it; the lock's waiter in pg_stat_activity is the event that says the work is in flight. The
signal goes in while it waits; releasing the lock lets it finish.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from delivery.models import DispatchNotification, NotificationKind
from delivery.tasks import send_dispatch_notification
from orders.models import Cart, CartLine
from orders.receivers import CART_TOKEN_HEADER
from tests.delivery.factories import make_shipment, make_slot, make_zone
from tests.orders.helpers import make_variant
from tests.support import REPO, child_database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

GRACEFUL_TIMEOUT = 10


class Process:
    """A process of the suite started as its deployment starts it, its output in a file."""

    def __init__(self, log: Path, args: list[str], **env: str) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "DATABASE_URL": child_database_url(), **env},
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.popen.poll() is None, f"{what}: the process exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.output()}"
            time.sleep(0.05)

    def terminate_and_wait(self, timeout: float) -> tuple[int, float]:
        """SIGTERM; the exit code and the seconds it took."""
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout), time.monotonic() - started


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(name: str, args: list[str], **env: str) -> Process:
        started.append(Process(tmp_path / f"{name}.log", args, **env))
        return started[-1]

    yield start
    for process in started:  # whatever a failed test left running
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait(10)


def lock_waiters(table: str) -> int:
    """Backends of this database blocked on a row lock while writing to `table`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
            [f'%"{table}"%'],
        )
        return int(cursor.fetchone()[0])


def wait_for_lock_waiter(table: str, process: Process) -> None:
    process.wait_for(lambda: lock_waiters(table) == 1, f"the work to block on the {table} lock")


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def raw_add_line(port: int, token: uuid.UUID, variant_id: int) -> socket.socket:
    """An HTTP request to add a cart line, sent on a connection of its own."""
    body = f'{{"variant": {variant_id}, "quantity": "1"}}'.encode()
    request = (
        f"POST /api/v1/cart/lines/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"{CART_TOKEN_HEADER}: {token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=GRACEFUL_TIMEOUT + 5)
    sock.sendall(request + body)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed; b"" when it reset the connection unanswered."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return b"".join(chunks)


def test_sigterm_lets_gunicorn_finish_the_request_in_flight_and_serve_no_new_one(
    processes: Callable[..., Process],
    tmp_path: Path,
) -> None:
    apples = make_variant("Apples", "1.00")
    in_flight_cart, late_cart = Cart.objects.create(), Cart.objects.create()
    port = free_port()
    web = processes(
        "web",
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
        XDG_RUNTIME_DIR=str(tmp_path),
        HOST="127.0.0.1",
        PORT=str(port),
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY="1",
        PROCESS_ROLE="web",
        GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_TIMEOUT),
    )
    web.wait_for(lambda: serves(port), "gunicorn to serve", timeout=90)

    with transaction.atomic():
        Cart.objects.select_for_update().get(pk=in_flight_cart.pk)
        in_flight = raw_add_line(port, in_flight_cart.token, apples.pk)
        wait_for_lock_waiter("orders_cart", web)

        code: list[int] = []
        stopper = threading.Thread(target=lambda: code.extend(web.terminate_and_wait(GRACEFUL_TIMEOUT + 5)[:1]))
        signalled_at = time.monotonic()
        stopper.start()
        web.wait_for(lambda: "Handling signal: term" in web.output(), "gunicorn to take the signal", timeout=5)
        # A request that comes after the signal: refused, or left unanswered in the backlog.
        try:
            late: socket.socket | None = raw_add_line(port, late_cart.token, apples.pk)
        except ConnectionRefusedError:
            late = None
    # The lock is released: the request in flight goes on.

    answer = read_all(in_flight)
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:500]
    assert f'"token":"{in_flight_cart.token}"'.encode() in answer.replace(b" ", b"")
    stopper.join(GRACEFUL_TIMEOUT + 10)
    stopped_after = time.monotonic() - signalled_at
    assert code == [0], web.output()
    assert stopped_after < GRACEFUL_TIMEOUT, stopped_after
    assert "Shutting down: Master" in web.output()

    assert late is None or read_all(late) == b""  # never served
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert list(CartLine.objects.filter(cart=in_flight_cart).values_list("variant_id", "quantity")) == [(apples.pk, 1)]
    assert not CartLine.objects.filter(cart=late_cart).exists()


def queue_length(queue: str) -> int:
    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue))


def worker_args(queue: str) -> list[str]:
    """The worker as deploy/entrypoint.sh starts it (prefork), with one child process."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--queues",
        queue,
        "--loglevel",
        "INFO",
        "--concurrency",
        "1",
        "--hostname",
        f"{queue}@%h",
        "--without-mingle",
        "--without-gossip",
    ]


def test_sigterm_lets_the_worker_finish_its_task_and_leaves_the_queued_ones_to_the_next_worker(
    processes: Callable[..., Process],
) -> None:
    shipment = make_shipment(make_slot(make_zone(f"z-{uuid.uuid4().hex[:6]}")))
    first, second = (
        DispatchNotification.objects.create(
            shipment=shipment, kind=NotificationKind.DELIVERED, recipient="ann@example.com", message=f"notice {n}"
        )
        for n in (1, 2)
    )
    queue = f"drain-{uuid.uuid4().hex[:8]}"
    for notification in (first, second):
        send_dispatch_notification.apply_async((notification.pk,), queue=queue)

    with transaction.atomic():
        DispatchNotification.objects.select_for_update().get(pk=first.pk)
        worker = processes("worker-1", worker_args(queue), PROCESS_ROLE="worker")
        wait_for_lock_waiter("delivery_dispatchnotification", worker)
        assert queue_length(queue) == 1  # prefetch 1: the second task is still on the broker

        code: list[int] = []
        stopper = threading.Thread(target=lambda: code.extend(worker.terminate_and_wait(20)[:1]))
        signalled_at = time.monotonic()
        stopper.start()
        worker.wait_for(lambda: "Warm shutdown" in worker.output(), "the worker to take the signal", timeout=5)
    # The lock is released: the task in flight goes on.

    stopper.join(25)
    assert code == [0], worker.output()
    stopped_after = time.monotonic() - signalled_at
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is not None  # the task in flight finished and committed ...
    assert worker.output().count(f"dispatch notification sent id={first.pk} ") == 1  # ... once
    assert second.sent_at is None and queue_length(queue) == 1  # the queued one is still on the broker
    assert not any(queue.encode() in raw for raw in redis.Redis.from_url(settings.CELERY_BROKER_URL).hvals("unacked"))

    successor = processes("worker-2", worker_args(queue), PROCESS_ROLE="worker")
    successor.wait_for(
        lambda: DispatchNotification.objects.filter(pk=second.pk, sent_at__isnull=False).exists(),
        "the next worker to run the queued task",
    )
    assert successor.terminate_and_wait(20)[0] == 0, successor.output()
    assert queue_length(queue) == 0
    sent = [line for line in successor.output().splitlines() if "dispatch notification sent id=" in line]
    assert len(sent) == 1 and f"id={second.pk} " in sent[0], sent  # the second one, and only it
    assert stopped_after < 10, stopped_after
