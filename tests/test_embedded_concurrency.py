"""The embedded run under concurrency: the real embedded server (SQLite, the in-process cache, eager
Celery, events delivered in-process after each commit), as `make run` serves it, takes many
placements at the same moment without a server error.

Ten clients place one order with one Idempotency-Key while four other customers place theirs and
one more fills a cart: one order is created for the shared key, its repeats are replayed or told
that the first is still running (core/idempotency.py), nobody gets a 500.
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.concurrency import run_together
from tests.support import REPO, environment_without_services, free_port

SHARED_KEY_CLIENTS = 10
CART_WRITERS = 3


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class EmbeddedServer:
    base: str
    shop: dict[str, Any]  # what tests/embedded_shop.py made: tokens and variant ids
    log: Path

    def call(self, method: str, path: str, *, token: str = "", body: object = None, key: str = "") -> Reply:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), error.headers
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")[:500]
        return Reply(status, parsed, dict(got.items()))


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """The dev server of `make run` (threaded runserver) on a fresh embedded database."""
    data_dir = tmp_path_factory.mktemp("embedded-concurrency")
    env = environment_without_services(DATA_DIR=str(data_dir), DEBUG="1")
    port = free_port()
    log_path = data_dir / "server.log"
    # The server starts while the shop is made: it touches the database only when asked.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        made = subprocess.run(
            [sys.executable, "-m", "tests.embedded_shop"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert made.returncode == 0, made.stderr
        server = EmbeddedServer(f"http://127.0.0.1:{port}", json.loads(made.stdout), log_path)
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the server exited:\n{log_path.read_text()}"
            try:
                if server.call("GET", "/healthz").status == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, f"the server did not serve:\n{log_path.read_text()}"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


PLACE = "/api/v1/checkout/place/"
ORDER = {"payment_gateway": "test_card", "payment_method": "4242424242424242"}


def test_parallel_placements_with_one_key_make_one_order_and_no_server_error(embedded_server: EmbeddedServer) -> None:
    server = embedded_server
    shared, *others = server.shop["placing"]
    variant = server.shop["variants"][0]

    def client(index: int) -> tuple[str, Reply]:
        if index < SHARED_KEY_CLIENTS:
            return "shared", server.call("POST", PLACE, token=shared, body=ORDER, key="one-order")
        index -= SHARED_KEY_CLIENTS
        if index < len(others):
            return "other", server.call("POST", PLACE, token=others[index], body=ORDER, key=f"own-{index}")
        return "cart", server.call(
            "POST", "/api/v1/cart/lines/", token=server.shop["browsing"], body={"variant": variant, "quantity": "1"}
        )

    results = run_together(SHARED_KEY_CLIENTS + len(others) + CART_WRITERS, client, database=False)
    failures = [result for result in results if isinstance(result, BaseException) or result[1].status >= 500]
    assert not failures, f"{failures}\n{server.log.read_text()[-6000:]}"

    replies: dict[str, list[Reply]] = {"shared": [], "other": [], "cart": []}
    for kind, reply in results:
        replies[kind].append(reply)
    placed = [reply for reply in replies["shared"] if reply.status == 201]
    assert placed and {reply.status for reply in replies["shared"]} <= {201, 409}, replies["shared"]
    assert {reply.body["id"] for reply in placed} == {placed[0].body["id"]}  # replays of the one order
    assert [reply.headers.get("Idempotent-Replayed") for reply in placed].count(None) == 1
    for reply in replies["shared"]:
        if reply.status == 409:
            assert reply.body["code"] == "idempotency_request_in_progress", reply.body
    assert [reply.status for reply in replies["other"]] == [201] * len(others), [r.body for r in replies["other"]]
    assert [reply.status for reply in replies["cart"]] == [201] * CART_WRITERS, [r.body for r in replies["cart"]]

    # Afterwards the key answers with the one order, and the customer has exactly that one.
    again = server.call("POST", PLACE, token=shared, body=ORDER, key="one-order")
    assert (again.status, again.body["id"], again.headers.get("Idempotent-Replayed")) == (
        201,
        placed[0].body["id"],
        "true",
    )
    orders = server.call("GET", "/api/v1/orders/", token=shared).body
    assert [order["id"] for order in orders["results"]] == [placed[0].body["id"]]
    # The payment events were delivered in-process meanwhile: the sandbox authorized every
    # payment, and each order was confirmed by its payment.authorized event.
    statuses = [
        server.call("GET", f"/api/v1/orders/{reply.body['id']}/", token=token).body["status"]
        for reply, token in [(placed[0], shared), *zip(replies["other"], others, strict=True)]
    ]
    assert statuses == ["confirmed"] * (1 + len(others))
    cart = server.call("GET", "/api/v1/cart/", token=server.shop["browsing"]).body
    assert [line["quantity"] for line in cart["lines"]] == [str(CART_WRITERS)]
    assert "database is locked" not in server.log.read_text()  # nor in the in-process dispatch


def test_readyz_says_events_are_delivered_in_process_and_none_are_left(embedded_server: EmbeddedServer) -> None:
    reply = embedded_server.call("GET", "/readyz")
    assert reply.status == 200, reply.body
    checks = reply.body["checks"]
    assert set(checks) == {"database", "cache", "events"}
    assert (checks["database"]["vendor"], checks["cache"]["backend"]) == ("sqlite", "local-memory")
    assert (checks["events"]["delivery"], checks["events"]["undelivered"]) == ("in-process", 0)
    # After the placements above every event they and their reactions recorded was delivered.
    assert reply.body["outbox"]["pending"] == 0
