"""Fixtures shared by the whole suite: real processes started against the test database."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings

from tests.support import REPO, child_database_url


@contextmanager
def fresh_kafka_topics() -> Iterator[str]:
    """Give the block its own Kafka topics (a unique prefix), removed afterwards, so no message from
    another test, an earlier run or a development stack on the same broker reaches it."""
    from django.conf import settings

    from events.kafka import build_admin, ensure_topics

    prefix = f"test-{uuid.uuid4().hex[:8]}."
    previous = settings.KAFKA_TOPIC_PREFIX
    settings.KAFKA_TOPIC_PREFIX = prefix
    os.environ["KAFKA_TOPIC_PREFIX"] = prefix  # for the processes the tests start
    try:
        ensure_topics()
        yield prefix
    finally:
        settings.KAFKA_TOPIC_PREFIX = previous
        os.environ["KAFKA_TOPIC_PREFIX"] = previous
        admin = build_admin()
        try:
            stale = [name for name in admin.list_topics() if name.startswith(prefix)]
            if stale:
                admin.delete_topics(stale)
        finally:
            admin.close()


def pytest_configure(config: pytest.Config) -> None:
    """A transactional test's teardown empties every table (TRUNCATE). The suite's real Celery
    worker may still be running a task the test queued, on the same tables: the two can deadlock,
    and PostgreSQL may pick the TRUNCATE to fail, which leaves the test's rows for the next test.
    The emptying is one transaction, so it is simply tried again once the task has its locks."""
    from django.db import OperationalError
    from django.test import testcases

    case: Any = testcases.TransactionTestCase  # _fixture_teardown is private: not in the stubs
    original = case._fixture_teardown

    def fixture_teardown(self: testcases.TransactionTestCase) -> None:
        for attempt in range(5):
            try:
                original(self)
                return
            except Exception as exc:  # flush wraps the deadlock in a CommandError
                cause = exc.__cause__ if isinstance(exc.__cause__, OperationalError) else exc
                deadlock = "deadlock detected" in str(cause)
                if not deadlock or attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))

    case._fixture_teardown = fixture_teardown


@pytest.fixture(scope="session", autouse=True)
def kafka_topics_of_this_run() -> Iterator[str]:
    with fresh_kafka_topics() as prefix:
        yield prefix


@pytest.fixture
def kafka_topics() -> Iterator[str]:
    """Topics of this test alone: for tests that read whole topics or consume as a group."""
    with fresh_kafka_topics() as prefix:
        yield prefix


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
    env = {**os.environ, "DATABASE_URL": child_database_url()}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                f"celery,{settings.REPORTS_QUEUE}",
                "--without-mingle",
                "--without-gossip",
                "-n",
                node,
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
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
