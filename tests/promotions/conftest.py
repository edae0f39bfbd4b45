"""The promotions tests place orders like the orders tests do: the same payment set-up."""

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.conftest import payment_gateways  # noqa: F401  (autouse fixture)
