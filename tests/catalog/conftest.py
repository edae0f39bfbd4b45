from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)
