"""Celery runs on the Redis broker with at-least-once delivery, and a real worker runs tasks."""

import pytest

from config.celery import app
from config.tasks import ping
from tests.support import child_database_url


def test_delivery_is_at_least_once() -> None:
    conf = app.conf
    assert conf.broker_url.startswith("redis://")
    assert conf.task_always_eager is False
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis_on_the_test_database(celery_worker_process: str) -> None:
    result = ping.apply_async()
    answer = result.get(timeout=30)
    assert answer["database"] == child_database_url().rsplit("/", 1)[1]
    assert result.successful()
    workers = app.control.ping(timeout=2)
    assert any(celery_worker_process.split("@")[0] in name for reply in workers for name in reply)
