"""The README's run command: embedded, with demo data, serving the admin and the API docs.

Drives `make run` as a newcomer would, then a real browser (Debian's Chromium) signs in to the
admin with the printed login and opens the interactive API docs.
"""

import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import browser_page
from tests.support import REPO, environment_without_services, free_port


@pytest.fixture(scope="module")
def embedded_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`make run` with no service URLs; yields the base URL and what the command printed."""
    data_dir = tmp_path_factory.mktemp("embedded")
    port = free_port()
    # A shorter order history than a newcomer gets: the charts are not what this test looks at.
    env = environment_without_services(DATA_DIR=str(data_dir), DEMO_HISTORY_DAYS="21")
    log_path = data_dir / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"make run exited:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"make run did not serve:\n{log_path.read_text()}") from None
                time.sleep(0.5)
        yield base, log_path.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_run_command_prints_an_admin_login(embedded_suite: tuple[str, str]) -> None:
    _, output = embedded_suite
    assert "Admin login: admin@example.com / admin" in output
    assert "/api/docs/" in output
    # The demo order's e-mail, sent by the notifications consumer and task in-process, on the console.
    assert "Subject: Your order 0000001 is placed" in output and "Content-Type: multipart/alternative" in output
    # The demo customer's sign-up asked for the verification e-mail, which notifications printed.
    assert "Subject: Please confirm your e-mail address" in output and "To: customer@example.com" in output


def test_a_newcomer_signs_in_to_the_admin_and_opens_the_api_docs(
    embedded_suite: tuple[str, str], tmp_path: Path
) -> None:
    base, output = embedded_suite
    email, password = re.search(r"Admin login: (\S+) / (\S+)", output).groups()  # type: ignore[union-attr]
    with browser_page() as page:
        page.goto(f"{base}/admin/")
        assert "/admin/login/" in page.url  # not signed in yet
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.click("input[type=submit]")
        page.wait_for_selector("text=What needs doing now")  # the back office home
        assert page.locator("#site-name").inner_text() == "Commerce back office"
        page.screenshot(path=str(tmp_path / "admin.png"))

        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
        assert "Commerce suite API" in page.locator(".swagger-ui .info .title").inner_text()
        page.screenshot(path=str(tmp_path / "docs.png"))
