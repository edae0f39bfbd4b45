"""The payments tests run with the sandbox gateway enabled and a webhook secret, in this process
and in the processes the tests start (the Celery worker reads its settings from the environment;
conftest modules are imported before any test starts one)."""

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from config.celery import app
from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.helpers import WEBHOOK_SECRET

os.environ.setdefault("PAYMENTS_ENABLED_GATEWAYS", "test_card,cash_on_delivery")
os.environ.setdefault("PAYMENTS_TEST_CARD_WEBHOOK_SECRETS", WEBHOOK_SECRET)


@pytest.fixture(autouse=True)
def payment_gateways(settings: Any) -> None:
    settings.PAYMENTS_GATEWAYS = {
        "test_card": {
            "CLASS": "payments.sandbox.gateway.TestCardGateway",
            "WEBHOOK_SECRETS": [WEBHOOK_SECRET],
            "WEBHOOK_URL": "",
            "AUTHENTICATION_SECONDS": 1,
        },
        "cash_on_delivery": {"CLASS": "payments.gateways.cash_on_delivery.CashOnDeliveryGateway"},
    }


@pytest.fixture
def settled_worker() -> Iterator[None]:
    """After the test, wait (a while) until the run's Celery worker, if one is running, has no
    message queued or in hand: a task still writing while the test database is flushed can
    deadlock with the flush's TRUNCATE."""
    yield
    if not app.control.ping(timeout=0.5):
        return  # no worker: what the test queued waits in Redis, touching nothing
    with app.connection_for_write() as connection:
        broker = connection.default_channel.client  # the run's own Redis database
        deadline = time.monotonic() + 30
        while broker.llen("celery") or broker.hlen("unacked"):
            if time.monotonic() > deadline:
                break  # a task with a far ETA: nothing this test queued
            time.sleep(0.1)
