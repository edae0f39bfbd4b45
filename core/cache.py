"""Access to the Redis server behind the default cache, for what the cache API cannot say."""

from typing import Any

from django.conf import settings


def uses_redis() -> bool:
    """Whether the default cache is Redis (False on the embedded in-process cache)."""
    return str(settings.CACHES["default"]["BACKEND"]).startswith("django_redis.")


def redis_client() -> Any:
    """The raw redis-py client of the default cache (only when `uses_redis()`)."""
    from django_redis import get_redis_connection

    return get_redis_connection("default")
