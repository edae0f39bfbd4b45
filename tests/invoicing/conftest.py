"""The invoicing tests pay with the sandbox card gateway, as the orders tests do: the payments tests' set-up."""

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
from tests.payments.conftest import payment_gateways, settled_worker  # noqa: F401  (fixtures)
