"""One gRPC server on a free loopback port for the whole run, and a channel to it. The server's
worker threads open their own database connections, so tests that call it use committed data
(`django_db(transaction=True)`)."""

from collections.abc import Iterator

import grpc
import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from config.grpc_server import Built, build
from tests.api.support import fresh_cache  # noqa: F401  (autouse: rate-limit counters and catalog pages)
from tests.payments.conftest import payment_gateways  # noqa: F401  (autouse: orders are paid by the sandbox)


@pytest.fixture(scope="session")
def grpc_server(django_db_setup: None) -> Iterator[Built]:
    # The server's threads close their connection after each call (as with CONN_MAX_AGE=0 under
    # gunicorn), so none is left open on the test database when the run drops it.
    database = connections.settings[DEFAULT_DB_ALIAS]
    kept, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    built = build("127.0.0.1:0")
    built.server.start()
    yield built
    built.server.stop(0).wait()
    database["CONN_MAX_AGE"] = kept


@pytest.fixture(scope="session")
def channel(grpc_server: Built) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{grpc_server.port}") as opened:
        yield opened
