"""core.queue keeps a task in the database only when the broker did not take it: a programming
error (wrong arguments for the task) is raised to the caller, never deferred and re-driven forever."""

from collections.abc import Iterator
from typing import Any

import pytest
from celery.canvas import Signature
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from core import outages
from core.models import DeferredTask
from core.queue import BROKER, enqueue_on_commit, redrive_deferred

pytestmark = pytest.mark.django_db

TASK = "payments.execute_transaction"  # registered; takes one argument, the transaction's id


@pytest.fixture(autouse=True)
def fresh_outages() -> Iterator[None]:
    outages._outages.clear()
    yield
    outages._outages.clear()


def broker_refusing(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> list[tuple[str, list[Any]]]:
    """Every publish raises `exc` after recording what it was asked to send."""
    attempted: list[tuple[str, list[Any]]] = []

    def apply_async(self: Signature, *args: Any, **kwargs: Any) -> None:
        attempted.append((str(self.task), list(self.args)))
        raise exc

    monkeypatch.setattr(Signature, "apply_async", apply_async)
    return attempted


def test_wrong_arguments_for_a_task_raise_and_nothing_is_deferred(django_capture_on_commit_callbacks: Any) -> None:
    with pytest.raises(TypeError), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 1, 2)  # Celery's argument check, before anything reaches the broker
    assert not DeferredTask.objects.exists()
    assert not outages.outage(BROKER).down


@pytest.mark.parametrize(
    "error", [OperationalError("Error 111 connecting"), RedisConnectionError("refused"), TimeoutError("timed out")]
)
def test_a_broker_that_does_not_take_the_task_has_it_deferred(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, error: Exception
) -> None:
    attempted = broker_refusing(monkeypatch, error)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 7)
    assert attempted == [(TASK, [7])]
    [deferred] = DeferredTask.objects.all()
    assert (deferred.task_name, deferred.args) == (TASK, [7])
    assert type(error).__name__ in deferred.last_error
    assert outages.outage(BROKER).down


def test_a_programming_error_from_the_publish_itself_is_raised(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    broker_refusing(monkeypatch, ValueError("not a broker's doing"))
    with pytest.raises(ValueError, match="not a broker's doing"), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 7)
    assert not DeferredTask.objects.exists()
    assert not outages.outage(BROKER).down


def test_a_re_drive_skips_a_row_the_broker_is_not_to_blame_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row with wrong arguments (deferred before errors were told apart) keeps its error and
    does not hold up the rows after it; a broker error stops the re-drive."""
    broken = DeferredTask.objects.create(task_name=TASK, args=[1, 2])
    DeferredTask.objects.create(task_name=TASK, args=[3])
    sent: list[list[Any]] = []

    def apply_async(self: Signature, *args: Any, **kwargs: Any) -> None:
        if len(self.args) != 1:
            raise TypeError("execute_transaction_task() takes 1 positional argument but 2 were given")
        sent.append(list(self.args))

    monkeypatch.setattr(Signature, "apply_async", apply_async)
    assert redrive_deferred() == 1
    assert sent == [[3]]
    [left] = DeferredTask.objects.all()
    assert left.pk == broken.pk and left.attempts == 1 and left.last_error.startswith("TypeError")
    assert not outages.outage(BROKER).down

    broken.delete()
    broker_refusing(monkeypatch, OperationalError("Error 111 connecting"))
    DeferredTask.objects.create(task_name=TASK, args=[4])
    DeferredTask.objects.create(task_name=TASK, args=[5])
    assert redrive_deferred() == 0
    assert [(row.args, row.attempts) for row in DeferredTask.objects.order_by("id")] == [([4], 1), ([5], 0)]
    assert outages.outage(BROKER).down
