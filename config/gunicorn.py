"""gunicorn's configuration for the web process (`gunicorn -c config/gunicorn.py config.wsgi`):
`make web` and the image's entrypoint both use it.

Workers are forked from the master, so whatever must not be shared across a fork (the
OpenTelemetry exporter's thread, metrics files) starts in `post_fork`; a worker that exits has
its metrics files marked dead (prometheus-client's multiprocess mode).
"""

import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM: stop accepting, let requests in flight finish within this many seconds (Kubernetes'
# terminationGracePeriodSeconds of the web pods leaves room for it after the preStop pause).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# A web request's budget: no statement runs past it (PostgreSQL cancels it, the request answers),
# so a slow database frees the worker instead of holding it until gunicorn kills it.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", str(max(1, timeout - 5) * 1000))
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500


def post_fork(server: Any, worker: Any) -> None:
    from config.observability import init_process

    init_process("web")


def child_exit(server: Any, worker: Any) -> None:
    from core.metrics import mark_process_dead

    mark_process_dead(worker.pid)
