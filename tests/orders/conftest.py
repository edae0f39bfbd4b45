"""The orders tests pay with the sandbox card gateway (and cash on delivery), here and in the
Celery worker processes the tests start: the payments tests' set-up, reused."""

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.conftest import payment_gateways, settled_worker  # noqa: F401  (fixtures)
