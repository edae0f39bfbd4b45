"""Kubernetes probes: liveness touches nothing, readiness names the dependency that failed."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_dependencies(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_database_redis_and_kafka_answer(client: Client) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["redis"]["backend"] == "redis"
    assert body["checks"]["kafka"]["brokers"] == 1


def test_readyz_of_the_web_stays_ready_and_names_kafka_when_no_broker_answers(client: Client) -> None:
    with override_settings(KAFKA_BOOTSTRAP_SERVERS=["127.0.0.1:9"]):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body  # the outbox keeps the events; web pods keep serving
    assert body["status"] == "degraded" and body["role"] == "web"
    assert body["failed"] == [] and body["degraded"] == ["kafka"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert "Configuration" not in body["checks"]["kafka"]["error"]  # a real connection failure
    assert body["checks"]["kafka"]["ms"] < 5000  # bounded by the probe's timeout
    assert set(body["outbox"]) == {"pending", "oldest_pending_age_seconds"}


def test_readyz_names_redis_when_redis_does_not_answer(client: Client, settings) -> None:
    broken = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}
    with override_settings(CACHES={"default": broken}):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["redis"] and body["degraded"] == []
    assert "ConnectionError" in body["checks"]["redis"]["error"]


def test_probes_are_exempt_from_the_https_redirect(client: Client) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200
        assert client.get("/admin/login/").status_code == 301
