"""Redis as the cache (and for locks and rate counters); the sessions stay in the database."""

from config.env import env_float, env_str

# --- Redis: cache, sessions, locks --------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "commerce"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # The cache is worth a few milliseconds: a Redis slower than this is a miss.
                "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 1.0),
                "SOCKET_TIMEOUT": env_float("REDIS_SOCKET_TIMEOUT_SECONDS", 1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions (staff in the admin and the API docs) live in the database, not in Redis: a Redis
# outage must not sign staff out or fail the admin (docs/decisions/0060).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# After a Redis call fails, optional uses (cache, rate counters) skip Redis this long (core/outages.py).
REDIS_BREAKER_SECONDS = env_float("REDIS_BREAKER_SECONDS", 2.0)
SESSION_COOKIE_AGE = 24 * 60 * 60
