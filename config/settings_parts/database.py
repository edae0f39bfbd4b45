"""The database connections: PostgreSQL (one schema per app) or the embedded SQLite, and the reports' replica."""

import dj_database_url

from config.env import env_bool, env_int, env_str
from config.settings_parts.base import DATA_DIR

# --- Database -----------------------------------------------------------------------------------
# Each domain app owns one PostgreSQL schema; Django's own tables stay in `public`. The backend in
# config/db/postgresql puts every app's tables in its schema and lists all of them in search_path.
APP_SCHEMAS = {
    "catalog": "catalog",
    "orders": "orders",
    "accounts": "users",
    "payments": "payments",
    "inventory": "inventory",
    "delivery": "delivery",
    "reports": "reports",
    "events": "events",
    "notifications": "notifications",
    "promotions": "promotions",
    "invoicing": "invoicing",
}

# How long an embedded (SQLite) request waits for another thread's write transaction to finish.
SQLITE_BUSY_TIMEOUT_SECONDS = 20
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:  # the embedded first look keeps its database in the ignored data folder
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.db.postgresql"
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "config.db.postgresql"
# Timeouts that fit the caller (docs/decisions/0060): a connection attempt to a database that is
# away fails within seconds (the request answers 503 database_unavailable); a statement runs at
# most DATABASE_STATEMENT_TIMEOUT_MS (0: no limit; gunicorn sets it to the request's budget).
DATABASE_CONNECT_TIMEOUT_SECONDS = env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 3)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 0)
# The hot statements that opt in (reserving stock and the product listing, core/db/statements.py) are prepared once
# per connection; Django's own queries bind on the client and are never prepared. Off (0) behind a
# pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or its
# max_prepared_statements = 0).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if USES_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT_SECONDS
    if DATABASE_PREPARED_STATEMENTS:  # psycopg prepares only when asked (Django leaves it off)
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run serves requests from several threads (and `relay_events` or a command may
    # write from another process). SQLite has one writer at a time: WAL lets readers go on while
    # it writes, and IMMEDIATE takes the write lock at BEGIN, where the busy timeout waits for it,
    # instead of on the first write, where a deferred transaction that read a now stale snapshot
    # fails at once with "database is locked". So every transaction runs one after the other,
    # which also stands in for select_for_update (a no-op on SQLite). NORMAL is durable in WAL
    # except for the last commits before a power cut, which a first look can afford.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

# The reports read from a replica when there is one (reports/db.py); tests mirror the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "config.db.postgresql"
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
