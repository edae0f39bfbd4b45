"""Building blocks for the notifications tests: events delivered to the consumer as Kafka's
consumer would apply them, and the send task run as a worker runs it (retries at once)."""

from celery.result import EagerResult

from config.celery import app
from events.consumer import ConsumedEvent
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from events.services import apply_event
from notifications.consumers import CustomerMessages
from notifications.models import Message, MessageStatus
from notifications.tasks import send_message


def events_since(last_id: int) -> list[ConsumedEvent]:
    rows = OutboxEvent.objects.filter(pk__gt=last_id).order_by("id")
    return [ConsumedEvent(*unpack_envelope(bytes(row.payload))) for row in rows]


def last_event_id() -> int:
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def deliver(event: ConsumedEvent) -> bool:
    """One delivery through the group's inbox, as the Kafka consumer and the in-process dispatch do."""
    return apply_event(CustomerMessages(), event)


def run_send(message_id: int) -> EagerResult:
    """What the worker does with the send task: run it, and each retry it asks for at once."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # else the first retry would raise out of apply()
    try:
        return send_message.apply(args=[message_id])
    finally:
        app.conf.task_eager_propagates = propagates


def send_pending() -> None:
    for message_id in Message.objects.filter(status=MessageStatus.PENDING).values_list("pk", flat=True):
        run_send(message_id)
