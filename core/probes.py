"""Probes and metrics over HTTP for the processes that serve no HTTP themselves (the relay, the
consumers, the Celery worker), so Kubernetes uses plain httpGet probes for every process.

`serve_probes(role)` starts a small threaded HTTP server on `PROBE_PORT` (off when 0) with
`/healthz` (the process's loop is alive: it called `heartbeat.beat()` recently, or has no loop),
`/readyz` (the dependencies the role requires answer: the check lives in config/health.py, which
registers itself here at start-up, since core sits below the apps it checks) and `/metrics`.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

Readiness = Callable[[str], tuple[int, dict[str, Any]]]
_readiness: Readiness | None = None


def register_readiness(check: Readiness) -> None:
    global _readiness
    _readiness = check


class Heartbeat:
    """The main loop of a process beats once per turn; liveness fails when it has stopped."""

    def __init__(self) -> None:
        self._last: float | None = None

    def beat(self) -> None:
        self._last = time.monotonic()

    def age(self) -> float | None:
        return None if self._last is None else time.monotonic() - self._last


heartbeat = Heartbeat()


def _handler(role: str) -> type[BaseHTTPRequestHandler]:
    class ProbeHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                age = heartbeat.age()
                stale = age is not None and age > settings.PROBE_LIVENESS_STALE_SECONDS
                body = {"status": "stalled" if stale else "ok", "role": role, "loop_age_seconds": age}
                self._json(503 if stale else 200, body)
            elif path == "/readyz":
                if _readiness is None:
                    self._json(503, {"status": "unavailable", "error": "no readiness check registered"})
                    return
                try:
                    status, body = _readiness(role)
                finally:
                    connections.close_all()  # this thread's connections, opened by the checks
                self._json(status, body)
            elif path == "/metrics":
                from core.metrics import render_metrics

                payload, content_type = render_metrics()
                self._send(200, payload, content_type)
            else:
                self._json(404, {"error": "not found"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("probe: " + format, *args)

    return ProbeHandler


def serve_probes(role: str, port: int | None = None) -> ThreadingHTTPServer | None:
    """Start the probe server in a daemon thread; None when PROBE_PORT is 0 (the default)."""
    port = settings.PROBE_PORT if port is None else port
    if not port:
        return None
    server = ThreadingHTTPServer((settings.PROBE_BIND, port), _handler(role))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()
    logger.info("probes for %s on %s:%d", role, settings.PROBE_BIND, server.server_address[1])
    return server
