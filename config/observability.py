"""Per-process start-up of the operational parts: tracing (config/tracing.py), and the hooks that
feed core/metrics.py from Celery. Called after fork: gunicorn's post_fork, Celery's
worker_process_init, and at the start of the single-process commands."""

import logging

logger = logging.getLogger(__name__)
_initialised: set[str] = set()


def init_process(role: str) -> None:
    if role in _initialised:
        return
    _initialised.add(role)
