"""core.queue keeps a task in the database only when the broker did not take it: a programming
error (wrong arguments for the task) is raised to the caller, never deferred and re-driven forever."""

from collections.abc import Iterator
from typing import Any, cast

import pytest
from celery import current_app
from kombu.exceptions import OperationalError
from kombu.messaging import Producer
from redis.exceptions import ConnectionError as RedisConnectionError

from core import outages, queue
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

    def publish(app: Any, task_name: str, args: list[Any], countdown: float | None) -> None:
        attempted.append((task_name, list(args)))
        raise exc

    monkeypatch.setattr(queue, "_publish", publish)
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

    def publish(self: Producer, body: Any, **kwargs: Any) -> None:  # [1, 2] never gets here: Celery's check
        sent.append(list(body[0]))

    monkeypatch.setattr(Producer, "publish", publish)
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


def test_tasks_go_out_as_celery_messages_through_one_producer_that_declares_the_queue_once(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """What reaches the broker's channel is Celery's protocol 2 task message, as Celery's own
    publish writes it; the thread's producer is kept, and declares the task's queue on its first
    publish only."""
    from core.broker import Channel

    put: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(Channel, "_put", lambda self, queue_name, message, **kwargs: put.append((queue_name, message)))
    declared: list[str] = []
    maybe_declare = Producer.maybe_declare

    def counting(self: Producer, entity: Any, *args: Any, **kwargs: Any) -> Any:
        declared.append(entity.name)
        return maybe_declare(self, entity, *args, **kwargs)

    monkeypatch.setattr(Producer, "maybe_declare", counting)
    queue._drop_producer()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 7)
        enqueue_on_commit(TASK, 8)
    first_producer = queue._producer(current_app)[0]
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 9)
    assert queue._producer(current_app)[0] is first_producer
    assert declared == ["celery"]
    assert [name for name, _ in put] == ["celery"] * 3
    reference = current_app.amqp.as_task_v2("id", TASK, (7,), ignore_result=True)
    ids = set()
    with current_app.connection_for_write() as connection:
        channel: Any = connection.default_channel
    for number, (_, payload) in zip((7, 8, 9), put, strict=True):
        message = channel.Message(payload, channel=channel)  # kombu's decoding, as a worker's
        args, kwargs, embed = message.decode()
        assert (args, kwargs) == ([number], {})
        assert embed == reference.body[2]
        headers = message.headers
        assert headers.keys() == reference.headers.keys()
        assert (headers["task"], headers["argsrepr"], headers["ignore_result"]) == (TASK, f"({number},)", True)
        ids.add(headers["id"])
    assert len(ids) == 3


def test_a_broker_error_drops_the_producer(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    before = queue._producer(current_app)[0]
    broker_refusing(monkeypatch, RedisConnectionError("refused"))
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, 7)
    assert queue._producer(current_app)[0] is not before


def test_the_producer_is_the_thread_s_and_the_process_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """One producer for current_app and the app behind it; another in another thread and after a
    fork (the parent's connection is not the child's to use)."""
    import threading

    app = cast(Any, current_app)._get_current_object()  # the proxy's app (not in the stubs)
    mine = queue._producer(current_app)[0]
    assert queue._producer(app)[0] is mine
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(queue._producer(app)[0]))
    thread.start()
    thread.join()
    assert other[0] is not mine
    monkeypatch.setattr(queue.os, "getpid", lambda: -1)
    assert queue._producer(app)[0] is not mine
