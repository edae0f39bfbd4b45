"""The settings read the environment: safe by default, embedded without URLs, deploy-clean."""

import subprocess
import sys
from pathlib import Path

from tests.support import REPO, environment_without_services


def run_django(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = environment_without_services(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings as s; {code}"],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_asked_and_a_secret_key_is_then_required(tmp_path: Path) -> None:
    result = run_django("print(s.DEBUG)", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr

    result = run_django("print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)", tmp_path, SECRET_KEY="x" * 60)
    assert result.stdout.split() == ["False", "True", "True"]


def test_the_shop_hashes_passwords_slowly_though_the_tests_do_not(tmp_path: Path) -> None:
    code = "from django.contrib.auth.hashers import get_hasher; h = get_hasher(); print(h.algorithm, h.iterations)"
    result = run_django(code, tmp_path, SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr
    algorithm, iterations = result.stdout.split()
    assert algorithm == "pbkdf2_sha256" and int(iterations) >= 1_000_000  # Django's default, not tests/settings.py's


def test_a_malformed_boolean_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run_django("print(s.DEBUG)", tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_without_service_urls_the_suite_runs_embedded(tmp_path: Path) -> None:
    result = run_django(
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.KAFKA_BOOTSTRAP_SERVERS, s.DATABASES['default']['NAME']); "
        "from django.db import connection; cursor = connection.cursor(); "
        "print(connection.transaction_mode, cursor.execute('PRAGMA journal_mode').fetchone()[0], "
        "cursor.execute('PRAGMA busy_timeout').fetchone()[0], cursor.execute('PRAGMA synchronous').fetchone()[0])",
        tmp_path,
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    engine, cache, eager, kafka, name, transaction_mode, journal, busy_ms, synchronous = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"
    assert eager == "True"
    assert kafka == "[]"
    assert name == str(tmp_path / "db.sqlite3")
    # Threads of the dev server write one after the other, waiting for the lock instead of failing.
    assert (transaction_mode, journal, synchronous) == ("IMMEDIATE", "wal", "1")  # 1: NORMAL
    assert int(busy_ms) >= 10_000


def test_with_service_urls_the_real_services_are_used(tmp_path: Path) -> None:
    result = run_django(
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, "
        "s.CELERY_TASK_ALWAYS_EAGER, ','.join(s.KAFKA_BOOTSTRAP_SERVERS), s.SESSION_ENGINE, "
        "sorted(s.DATABASES['default']['OPTIONS']))",
        tmp_path,
        DEBUG="1",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9092",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "config.db.postgresql",
        "django_redis.cache.RedisCache",
        "redis://127.0.0.1:6379/0",
        "False",
        "127.0.0.1:9092",
        "django.contrib.sessions.backends.db",
        # No SQLite options on PostgreSQL; a database away fails within seconds; psycopg may prepare
        # (only the statements that ask: DATABASE_PREPARED_STATEMENTS).
        "['connect_timeout',",
        "'prepare_threshold']",
    ]


def test_a_process_starts_without_the_report_and_pdf_libraries(tmp_path: Path) -> None:
    # Every process (web, gRPC, workers, relay, consumers, commands) sets Django up and loads the
    # URLs; pandas, numpy and fpdf2 together cost about 0.7 s and 60 MB, and only reports and
    # documents use them, imported when they run.
    result = run_django(
        "import sys, config.urls, config.celery; "
        "print(sorted(m for m in ('pandas', 'numpy', 'fpdf') if m in sys.modules))",
        tmp_path,
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]


def test_deploy_check_is_clean_for_production_settings(tmp_path: Path) -> None:
    env = environment_without_services(
        SECRET_KEY="kq3!v9$zr0-production-like-secret-with-enough-variety-7c2e8d1f4a6b",
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sessions_expire_after_a_day() -> None:
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 24 * 60 * 60
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"  # not Redis: decision 0060
