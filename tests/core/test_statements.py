"""core.db.statements' kept cursor loads timestamps exactly as Django's own cursors do (psycopg's C
loader on a UTC session, Django's loader otherwise), and follows a change of Django's time zone."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings

from core.db.statements import statement_cursor
from core.models import DeferredTask

pytestmark = pytest.mark.django_db

SQL = "SELECT created_at FROM core_deferredtask WHERE id = %s"


def through_both(pk: int) -> tuple[datetime.datetime, datetime.datetime]:
    cursor = statement_cursor()
    cursor.execute(SQL, [pk])
    kept = cursor.fetchone()[0]
    with connection.cursor() as plain:
        plain.execute(SQL, [pk])
        return kept, plain.fetchone()[0]


def test_a_timestamp_is_the_one_django_loads_with_the_same_tzinfo() -> None:
    task = DeferredTask.objects.create(task_name="t.x", args=[])
    kept, django_loaded = through_both(task.pk)
    assert kept == django_loaded == task.created_at
    assert kept.tzinfo is django_loaded.tzinfo is datetime.UTC
    assert DeferredTask.objects.filter(created_at=kept).exists()


def test_the_kept_cursor_follows_django_s_time_zone() -> None:
    task = DeferredTask.objects.create(task_name="t.x", args=[])
    statement_cursor()  # kept for UTC
    with override_settings(USE_TZ=False):
        kept, django_loaded = through_both(task.pk)
        assert kept == django_loaded and kept.tzinfo is None
    kept, django_loaded = through_both(task.pk)
    assert kept == django_loaded and kept.tzinfo is datetime.UTC
