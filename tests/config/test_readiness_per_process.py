"""Readiness per process (core/roles.py): the web and gRPC keep serving while Kafka is down, the
relay and consumers do not; the non-HTTP processes answer their probes on PROBE_PORT."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from config.health import run_checks, verdict
from core.probes import heartbeat, serve_probes
from core.roles import CONSUMER, GRPC, RELAY, WEB, WORKER
from tests.support import free_port

pytestmark = pytest.mark.django_db

NO_BROKER = override_settings(KAFKA_BOOTSTRAP_SERVERS=["127.0.0.1:9"])


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def relay_probes() -> Iterator[str]:
    server = serve_probes(RELAY, port=free_port())
    assert server is not None
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_without_kafka_only_the_relay_and_consumers_are_unready() -> None:
    with NO_BROKER:
        _, checks = run_checks()
    for role, status in [(WEB, 200), (GRPC, 200), (WORKER, 200), (RELAY, 503), (CONSUMER, 503)]:
        code, body = verdict(role, checks)
        assert code == status, body
        assert body["role"] == role and body["checks"]["database"]["ok"]
        assert (body["failed"] if status == 503 else body["degraded"]) == ["kafka"]
        assert body["outbox"] is not None


def test_the_relay_probe_port_answers_ready_with_kafka_and_unready_without(relay_probes: str) -> None:
    code, body = get(f"{relay_probes}/readyz")
    assert code == 200 and body["status"] == "ready" and body["role"] == RELAY, body
    with NO_BROKER:
        code, body = get(f"{relay_probes}/readyz")
    assert code == 503 and body["failed"] == ["kafka"], body


def test_liveness_follows_the_loop_heartbeat(relay_probes: str, settings) -> None:
    heartbeat.beat()
    assert get(f"{relay_probes}/healthz")[0] == 200
    settings.PROBE_LIVENESS_STALE_SECONDS = -1  # any beat is now too old: the loop looks stuck
    code, body = get(f"{relay_probes}/healthz")
    assert code == 503 and body["status"] == "stalled"
