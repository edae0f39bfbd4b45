"""The orders tests pay with the sandbox card gateway (and cash on delivery), here and in the
Celery worker processes the tests start (they read the environment)."""

import os
from typing import Any

import pytest

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.conftest import settled_worker  # noqa: F401  (the worker is idle before the flush)
from tests.payments.helpers import WEBHOOK_SECRET

os.environ.setdefault("PAYMENTS_ENABLED_GATEWAYS", "test_card,cash_on_delivery")
os.environ.setdefault("PAYMENTS_TEST_CARD_WEBHOOK_SECRETS", WEBHOOK_SECRET)


@pytest.fixture(autouse=True)
def payment_gateways(settings: Any) -> None:
    settings.PAYMENTS_GATEWAYS = {
        "test_card": {"CLASS": "payments.gateways.test_card.TestCardGateway", "WEBHOOK_SECRETS": [WEBHOOK_SECRET],
                      "WEBHOOK_URL": "", "AUTHENTICATION_SECONDS": 1},
        "cash_on_delivery": {"CLASS": "payments.gateways.cash_on_delivery.CashOnDeliveryGateway"},
    }
