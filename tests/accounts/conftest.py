from collections.abc import Iterator

import pytest
from celery import current_app

from tests.api.support import fresh_cache  # noqa: F401  (autouse: each test starts with an empty cache)


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """Tasks queued on commit run here and now, as the embedded `make run` runs them (the account
    flows' e-mails are sent by tasks); use with django_capture_on_commit_callbacks(execute=True)."""
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = previous
