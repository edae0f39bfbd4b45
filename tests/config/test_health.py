"""Kubernetes probes: liveness touches nothing, readiness names the dependency that failed."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from events.models import OutboxEvent
from tests.events.helpers import emit_order_created

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
    assert set(body["checks"]) == {"database", "redis", "kafka"}


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
    # The web serves without Redis (cache misses, fail-open limits): degraded, still in service.
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["failed"] == [] and body["degraded"] == ["redis"]
    assert "ConnectionError" in body["checks"]["redis"]["error"]


def test_probes_are_exempt_from_the_https_redirect(client: Client) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200
        assert client.get("/admin/login/").status_code == 301


EMBEDDED = {
    "KAFKA_BOOTSTRAP_SERVERS": [],
    "EVENTS_IN_PROCESS_DISPATCH": True,
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
}


def test_readyz_without_services_names_what_stands_in_for_redis_and_kafka(client: Client) -> None:
    stuck = emit_order_created("stuck-1")  # pending long after its commit: the dispatch missed it
    OutboxEvent.objects.filter(pk=stuck.pk).update(occurred_at=timezone.now() - timedelta(seconds=60))
    emit_order_created("fresh-1")  # just committed: its dispatch may still be running
    with override_settings(**EMBEDDED):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "cache", "events"}  # no Redis or Kafka to speak of
    assert body["checks"]["cache"]["backend"] == "local-memory"
    events = body["checks"]["events"]
    assert (events["ok"], events["delivery"], events["undelivered"]) == (True, "in-process", 1)
    assert 59 <= events["oldest_undelivered_age_seconds"] < 120
    assert "relay_events" in events["remedy"]
    assert body["outbox"]["pending"] == 2


def test_readyz_without_kafka_or_in_process_dispatch_says_events_stay_in_the_outbox(client: Client) -> None:
    with override_settings(**{**EMBEDDED, "EVENTS_IN_PROCESS_DISPATCH": False}):
        body = client.get("/readyz").json()
    assert body["checks"]["events"]["delivery"] == "none"
    assert "stay in the outbox" in body["checks"]["events"]["detail"]
