"""The settings of the test run: the project's own, with parallel test workers (pytest-xdist,
`-n 2`) kept apart on the shared services.

Before the project's settings are read, each worker gets its own
Redis database for the cache, locks and rate limits, and its own Celery broker, so one worker's
cache flush, lock or queued task never reaches the other. pytest-django already gives each worker
its own test database (`test_<name>_gw0`, ...), and the Kafka topics of a run carry a unique prefix
(tests/conftest.py), consumer groups included.
"""

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_match = re.fullmatch(r"gw(\d+)", _worker)


def _with_database(url: str, number: int) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{number}"


if _match and os.environ.get("REDIS_URL"):
    index = int(_match.group(1))
    # Databases 0-2 stay for a development stack and a serial test run; workers take 3 and up.
    cache_db, broker_db = 3 + 2 * index, 4 + 2 * index
    os.environ["REDIS_URL"] = _with_database(os.environ["REDIS_URL"], cache_db)
    os.environ["CELERY_BROKER_URL"] = _with_database(os.environ["REDIS_URL"], broker_db)
    os.environ["CELERY_RESULT_BACKEND"] = os.environ["CELERY_BROKER_URL"]
    os.environ["CACHE_KEY_PREFIX"] = f"{os.environ.get('CACHE_KEY_PREFIX', 'commerce-test')}-{_worker}"

# Production connects with a 3 s timeout; the concurrency tests open 200 connections at once on
# two CPUs, where PostgreSQL forks its backends for longer than that. The chaos tests cut
# connections through Toxiproxy (refused at once), so they do not lean on the timeout.
os.environ.setdefault("DATABASE_CONNECT_TIMEOUT_SECONDS", "20")

from config.settings import *  # noqa: E402, F403  (the project's settings, read after the lines above)

# scripts/test migrates one template database before pytest starts (tests/template_db.py); each
# pytest process then copies it (CREATE DATABASE ... TEMPLATE, a file copy) and finds every
# migration applied, instead of migrating a database of its own at the same time as the others.
if os.environ.get("TEST_DATABASE_TEMPLATE") and USES_POSTGRES:  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = os.environ["TEST_DATABASE_TEMPLATE"]  # noqa: F405

# Django's default hasher (PBKDF2, a million iterations: the shop's, see config/settings.py) costs
# about a second of CPU per hash on this machine, and most tests sign someone up or in. What the
# tests prove is the flows, not the hash; tests/config/test_settings.py checks the shop's hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
