"""Fixtures shared by the whole suite: real processes started against the test database."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database the tests use (pytest-django's test database), for child
    processes that must see the same rows."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Celery worker process consuming from the Redis broker, on the test database.

    Yields the worker's node name. Tests that use it must commit what the worker should see
    (`@pytest.mark.django_db(transaction=True)`).
    """
    from config.celery import app
    from config.tasks import ping

    app.control.purge()  # nothing left over from an earlier run may reach this worker
    node = f"test-{uuid.uuid4().hex[:8]}@%h"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {**os.environ, "DATABASE_URL": test_database_url()}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-mingle", "--without-gossip", "-n", node],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited early:\n{log_path.read_text()}")
            try:
                ping.apply_async().get(timeout=5)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Celery worker did not answer:\n{log_path.read_text()}") from None
        yield node
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
