"""A request id on every response header and every log line.

The id comes from the caller's `X-Request-ID` when it looks like an id (so a trace started at the
edge proxy or the mobile app continues here), else a fresh one. It lives in a context variable for
the duration of the request; the logging filter stamps it on every record, and "-" outside
requests (workers, commands).
"""

import itertools
import logging
import os
import re
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
# Letters, digits and the separators trace ids use; bounded, so a caller cannot inject log lines
# or flood the logs through the header.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{7,127}")

current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


def request_id_from(header: str | None) -> str:
    if header and _ACCEPTABLE.fullmatch(header):
        return header
    return new_request_id()


def _reseed() -> None:
    global _prefix, _counter
    _prefix, _counter = os.urandom(10).hex(), itertools.count(int.from_bytes(os.urandom(2)))


_prefix: str
_counter: "itertools.count[int]"
_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    """32 hex digits, as a uuid4's: 80 random bits per process (drawn again after a fork) and a
    counter. Unique without a system call per request (uuid4 reads os.urandom each time); an id
    correlates log lines, it is no secret (callers may choose their own)."""
    return f"{_prefix}{next(_counter) & 0xFFFFFFFFFFFF:012x}"


class RequestIdMiddleware:
    """First in MIDDLEWARE, so even a redirect or an error page from a later one carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs the response ("Not Found: ...") after the
        # middleware returned; `request_finished` clears it (below).
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _clear_request_id(**kwargs: object) -> None:
    current_request_id.set("-")


request_finished.connect(_clear_request_id, dispatch_uid="core.api.request_id.clear")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (use `%(request_id)s` in the format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
