"""core.db.rows makes the same instances the ORM makes from a hand-written SELECT: converters
applied, loaded from the database, and built through `Model.__init__` (with its signals) whenever
something listens to pre_init or post_init."""

from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_init

from core.db import rows
from core.models import DeferredTask

pytestmark = pytest.mark.django_db


def taken(task: DeferredTask) -> DeferredTask:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.select_list(DeferredTask, 't')}, 1 FROM {rows.table(DeferredTask)} t WHERE t.id = %s",  # noqa: S608
            [task.pk],
        )
        row = cursor.fetchone()
    reader = rows.Rows(row)
    instance = reader.take(DeferredTask)
    assert instance is not None and reader.at == len(row) - 1
    return instance


def values(instance: DeferredTask) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in DeferredTask._meta.concrete_fields}


def test_an_instance_taken_off_a_row_is_the_one_the_orm_loads() -> None:
    task = DeferredTask.objects.create(task_name="t.x", args=[1, "two", {"three": 3}], countdown=1.5)
    instance, loaded = taken(task), DeferredTask.objects.get(pk=task.pk)
    assert values(instance) == values(loaded) and instance.args == [1, "two", {"three": 3}]  # JSON decoded
    assert (instance._state.adding, instance._state.db) == (False, "default")
    instance.attempts = 4
    instance.save(update_fields=["attempts"])  # an UPDATE of the row, not an INSERT
    assert DeferredTask.objects.get(pk=task.pk).attempts == 4


def test_init_signals_are_sent_when_something_listens() -> None:
    task = DeferredTask.objects.create(task_name="t.x", args=[])
    seen: list[Any] = []

    def listener(sender: Any, instance: DeferredTask, **kwargs: Any) -> None:
        seen.append(instance.pk)

    post_init.connect(listener, sender=DeferredTask)
    try:
        instance = taken(task)
    finally:
        post_init.disconnect(listener, sender=DeferredTask)
    assert seen == [task.pk] and values(instance) == values(DeferredTask.objects.get(pk=task.pk))
    taken(task)
    assert seen == [task.pk]  # no listener, no signal
