"""What the server does around each call, at no cost to calls that do not need it: the request id
goes out with a unary call's response (not in a batch of its own), and the database guard (fresh
connections, statements bounded by the deadline) is paid only by calls that use the database."""

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from django.db import connection
from grpc import _server as grpc_server_internals
from grpc_health.v1 import health_pb2, health_pb2_grpc

from core.grpc import database, initial_metadata
from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def separate_sends(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The initial metadata the server sends in a batch of its own."""
    sent: list[Any] = []
    original = grpc_server_internals._Context.send_initial_metadata

    def counted(self: Any, metadata: Any) -> None:
        sent.append(metadata)
        original(self, metadata)

    monkeypatch.setattr(grpc_server_internals._Context, "send_initial_metadata", counted)
    return sent


def test_a_unary_call_gets_its_request_id_with_the_response_or_the_error(
    channel: grpc.Channel, separate_sends: list[Any]
) -> None:
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    with pytest.raises(grpc.RpcError) as missing:
        catalog.GetProduct(catalog_pb2.GetProductRequest(product_id=999999), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(dict(missing.value.initial_metadata())["x-request-id"]) == 32
    health = health_pb2_grpc.HealthStub(channel)
    _, call = health.Check.with_call(
        health_pb2.HealthCheckRequest(), metadata=(("x-request-id", "edge-trace-0001"),), timeout=5
    )
    assert dict(call.initial_metadata())["x-request-id"] == "edge-trace-0001"
    assert separate_sends == []
    # A stream's goes out at once, before its first message.
    watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=5)
    assert dict(watch.initial_metadata())["x-request-id"]
    watch.cancel()
    assert len(separate_sends) == 1


def test_without_grpcio_state_the_metadata_is_sent_at_once() -> None:
    class Wrapped:  # e.g. a context wrapped by tracing
        sent: Any = None

        def send_initial_metadata(self, metadata: Any) -> None:
            self.sent = metadata

    context = Wrapped()
    initial_metadata.send_with_response(context, (("x-request-id", "abc"),))
    assert context.sent == (("x-request-id", "abc"),)


class Context:
    def time_remaining(self) -> float:
        return 5.0


@pytest.fixture
def closings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    closed: list[float] = []
    monkeypatch.setattr(database, "close_old_connections", lambda: closed.append(time.monotonic()))
    database.install()
    yield closed
    monkeypatch.setattr(database._thread, "check_at", None)


def statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return str(cursor.fetchone()[0])


def test_a_call_without_statements_pays_no_database_guard(closings: list[float]) -> None:
    database.begin(Context())
    assert database.end() is None
    assert closings == []


def test_a_call_with_statements_is_bounded_by_its_deadline_then_cleaned_up(closings: list[float]) -> None:
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 3600  # kept for an hour (CONN_MAX_AGE)
    database.begin(Context())
    assert int(statement_timeout().removesuffix("ms").removesuffix("s")) > 0
    assert database.end() is None
    assert len(closings) == 1 and statement_timeout() == "0"  # reset; outside a call: not bounded
    database.begin(Context())
    database.end()
    assert len(closings) == 1  # the connection is not obsolete yet: nothing to check

    connection.close_at = time.monotonic() - 1  # obsolete by the end of the next call that uses it
    database.begin(Context())
    statement_timeout()
    database.end()
    assert len(closings) == 2
    database.begin(Context())
    assert len(closings) == 3  # checked before the next call, used or not
    database.end()


def test_a_method_only_a_generic_handler_knows_is_served_too() -> None:
    from config.grpc_server import _ServedGeneric

    def echo(request: bytes, context: grpc.ServicerContext) -> bytes:
        return request

    plain = grpc.unary_unary_rpc_method_handler(echo)
    generic = _ServedGeneric(grpc.method_handlers_generic_handler("test.Echo", {"Echo": plain}))
    details = type("Details", (), {"method": "/test.Echo/Echo", "invocation_metadata": ()})()
    handler = generic.service(details)
    assert handler is not None and handler is not plain and handler.unary_unary is not echo
    assert generic.service(details) is handler  # wrapped once per method, not per call
    assert generic.service(type("Details", (), {"method": "/test.Echo/Other", "invocation_metadata": ()})()) is None
