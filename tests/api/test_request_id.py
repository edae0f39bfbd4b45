"""Every response carries a request id, and every log line written while serving it."""

import logging

import pytest

from core.api.request_id import RequestIdFilter
from tests.api.support import api

pytestmark = pytest.mark.django_db


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def console_handler() -> logging.Handler:
    [handler] = [h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters)]
    return handler


def test_a_sane_incoming_id_is_kept_and_anything_else_replaced() -> None:
    kept = api().get("/api/v1/catalog/products/", HTTP_X_REQUEST_ID="edge-7f3a9c2e-01")
    assert kept["X-Request-ID"] == "edge-7f3a9c2e-01"
    for bad in ("short", "has spaces in it", "line\nbreak-injection", "x" * 129, "ünïcode-id-123"):
        made = api().get("/api/v1/catalog/products/", HTTP_X_REQUEST_ID=bad)
        assert made["X-Request-ID"] != bad and len(made["X-Request-ID"]) == 32
    first, second = api().get("/healthz"), api().get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]  # not only the API: every response


def test_the_request_id_is_on_every_log_line_of_the_request() -> None:
    handler = console_handler()
    assert "%(request_id)s" in handler.formatter._fmt  # type: ignore[union-attr]
    capture = Capture()
    for log_filter in handler.filters:
        capture.addFilter(log_filter)
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        response = api().get("/api/v1/no/such/thing/", HTTP_X_REQUEST_ID="trace-0123456789")
        logging.getLogger("after").warning("outside any request")
    finally:
        root.removeHandler(capture)
    assert response.status_code == 404
    during = [r for r in capture.records if r.name == "django.request"]
    assert during and all(r.request_id == "trace-0123456789" for r in during)  # type: ignore[attr-defined]
    assert [r.request_id for r in capture.records if r.name == "after"] == ["-"]  # type: ignore[attr-defined]
