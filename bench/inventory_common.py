"""What the inventory benchmarks share: a database of their own, created from DATABASE_URL's
server (`<name>_bench_inventory`), migrated, and dropped afterwards unless --keep. The ledger is
append-only, so benchmark stock must never land in a development database.

Import this module before anything from Django: it points DATABASE_URL at the bench database and
sets Django up.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SOURCE_URL = os.environ.get("DATABASE_URL", "")
if not SOURCE_URL.startswith("postgres"):
    sys.exit('run with DATABASE_URL pointing at PostgreSQL: eval "$(scripts/services env)"')
_parts = urlsplit(SOURCE_URL)
BENCH_DB = f"{_parts.path.lstrip('/')}_bench_inventory"
BENCH_URL = urlunsplit(_parts._replace(path=f"/{BENCH_DB}"))
MAINTENANCE_URL = urlunsplit(_parts._replace(path="/postgres"))
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")

import psycopg  # noqa: E402


def create_bench_database() -> None:
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def drop_bench_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


create_bench_database()

import django  # noqa: E402

django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    return f"{os.cpu_count()} CPUs, PostgreSQL {version} (synchronous_commit={sync}) on loopback"
