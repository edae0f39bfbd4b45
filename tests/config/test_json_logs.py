"""LOG_FORMAT=json: every line is one JSON object carrying the request id and the trace id."""

import json
import subprocess
import sys

from tests.support import REPO, environment_without_services


def test_json_lines_carry_the_request_id_of_the_request() -> None:
    script = (
        "import django, logging; django.setup()\n"
        "from core.api.request_id import current_request_id\n"
        "logging.getLogger('probe').warning('outside')\n"
        "current_request_id.set('req-0123456789')  # what RequestIdMiddleware does per request\n"
        "logging.getLogger('probe').info('inside', extra={'order': 7})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment_without_services(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", LOG_FORMAT="json"),
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, result.stderr
    outside = next(line for line in lines if line["message"] == "outside")
    assert outside["request_id"] == "-" and outside["trace_id"] == "-" and outside["level"] == "WARNING"
    inside = next(line for line in lines if line["message"] == "inside")
    assert inside["request_id"] == "req-0123456789" and inside["order"] == 7
    assert {"time", "trace_id", "span_id", "logger"} <= set(inside)
