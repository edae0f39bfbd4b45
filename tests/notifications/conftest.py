"""The notifications tests place real orders (the orders tests' shop, paid with the sandbox card
gateway): the payments tests' set-up, reused."""

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.conftest import payment_gateways  # noqa: F401  (fixture)
