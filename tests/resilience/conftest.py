"""Fixtures of the chaos tests: Toxiproxy proxies in front of the shared services and the suite's
real processes (gunicorn, a Celery worker, the relay, a consumer) started behind them."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.resilience.toxiproxy import Proxy
from tests.support import REPO, child_database_url, free_port


def through(proxy: Proxy, url: str) -> str:
    """`url` (postgres:// or redis://) with its host and port replaced by the proxy's."""
    scheme, rest = url.split("://", 1)
    credentials, _, location = rest.rpartition("@")
    _, _, path = location.partition("/")
    return f"{scheme}://{credentials + '@' if credentials else ''}127.0.0.1:{proxy.port}/{path}"


class Process:
    """A process of the suite, its output in a file the test can read."""

    def __init__(self, log: Path, args: list[str], env: dict[str, str]) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.alive():
            self.popen.send_signal(signum)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(10)


def wait_until(condition: Callable[[], object], timeout: float, what: str, *procs: Process) -> float:
    """Poll until `condition` holds; the seconds it took. Fails at once if a process died."""
    started = time.monotonic()
    while not condition():
        for process in procs:
            assert process.alive(), f"{what}: a process exited:\n{process.output()[-5000:]}"
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def proxies() -> Iterator[dict[str, Proxy]]:
    """This module's proxies: one to PostgreSQL and one to Redis for the web and the worker, and a
    second one to PostgreSQL for the event processes, so each outage is cut on its own."""
    made = {"postgres": Proxy("postgres"), "redis": Proxy("redis"), "events_db": Proxy("postgres", "events-db")}
    yield made
    for proxy in made.values():
        proxy.close()


def service_env(proxies: dict[str, Proxy], database: str = "postgres", **extra: str) -> dict[str, str]:
    """The environment of a child process that reaches PostgreSQL and Redis through the proxies."""
    return {
        **os.environ,
        "DATABASE_URL": through(proxies[database], child_database_url()),
        "REDIS_URL": through(proxies["redis"], settings.CACHES["default"]["LOCATION"]),
        "CELERY_BROKER_URL": through(proxies["redis"], settings.CELERY_BROKER_URL),
        "CELERY_RESULT_BACKEND": through(proxies["redis"], settings.CELERY_RESULT_BACKEND),
        "EVENTS_RELAY_MAX_BACKOFF_SECONDS": "1",
        "REDIS_BREAKER_SECONDS": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Process]]:
    folder = tmp_path_factory.mktemp("chaos")
    running: list[Process] = []

    def start(name: str, args: list[str], env: dict[str, str]) -> Process:
        running.append(Process(folder / f"{name}.log", args, env))
        return running[-1]

    yield start
    for process in running:
        process.stop(signal.SIGKILL if process.alive() else signal.SIGTERM, timeout=10)


class Web:
    """gunicorn behind the proxies, and a small HTTP client that never raises on a status."""

    def __init__(self, process: Process, port: int) -> None:
        self.process, self.port = process, port

    def call(
        self, method: str, path: str, body: Any = None, token: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw, status, found = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, found = error.read(), error.code, dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:300].decode(errors="replace")}
        return status, parsed if isinstance(parsed, dict) else {"items": parsed}, found


@pytest.fixture(scope="module")
def web(django_db_setup: None, proxies: dict[str, Proxy], started: Callable[..., Process], tmp_path_factory) -> Web:
    port = free_port()
    process = started(
        "web",
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
        service_env(
            proxies,
            XDG_RUNTIME_DIR=str(tmp_path_factory.mktemp("gunicorn")),
            HOST="127.0.0.1",
            PORT=str(port),
            ALLOWED_HOSTS="127.0.0.1",
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="4",
            PROCESS_ROLE="web",
        ),
    )
    web = Web(process, port)

    def serves() -> bool:
        try:
            return web.call("GET", "/healthz")[0] == 200
        except OSError:
            return False

    wait_until(serves, 60, "gunicorn to serve", process)
    return web


# A queue only this worker consumes: the test run's other Celery worker (tests/conftest.py), on the
# same broker, would otherwise take a task a test means this worker to run.
OWN_QUEUE = f"chaos-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def worker(django_db_setup: None, proxies: dict[str, Proxy], started: Callable[..., Process]) -> Process:
    """A Celery worker (prefork, one child, as deploy/entrypoint.sh runs it) behind the proxies."""
    from config.celery import app

    app.control.purge()
    process = started(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--queues",
            f"celery,{OWN_QUEUE}",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"chaos-{free_port()}@%h",
        ],
        service_env(proxies, PROCESS_ROLE="worker"),
    )
    wait_until(lambda: "ready." in process.output(), 60, "the worker to be ready", process)
    return process


def figures(statuses: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return dict(sorted(counts.items()))


def record(case: str, **numbers: Any) -> None:
    """The figures of a chaos case, printed (pytest -s) and kept for the README."""
    line = json.dumps({"case": case, **numbers}, default=str)
    print(f"\n[chaos] {line}")
    path = os.environ.get("CHAOS_FIGURES_FILE")
    if path:
        with open(path, "a") as out:
            out.write(line + "\n")
