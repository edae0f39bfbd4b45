"""The bridge from domain signals to the outbox.

An app declares its domain signals in its `signals.py`:

    user_registered = DomainSignal("user.registered", aggregate_type="user")

and its services send them inside the transaction of the change:

    user_registered.send_event(sender=User, aggregate_id=str(user.pk), payload=UserRegistered(...))

The receiver below writes the outbox row in that same transaction, so the event exists if and
only if the change committed. Without Kafka (EVENTS_IN_PROCESS_DISPATCH) it also has the row
delivered to the consumers in-process once the transaction commits (events/dispatch.py). The
events app never imports the apps above it: each DomainSignal connects the receiver itself.
"""

import uuid
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from google.protobuf.message import Message

from events.contracts import pack_envelope, payload_class
from events.dispatch import dispatch_after_commit
from events.models import OutboxEvent
from events.tracing import current_trace_context

# The relay LISTENs on this channel; Postgres delivers the NOTIFY only when the transaction commits.
OUTBOX_CHANNEL = "events_outbox"


class EventOutsideTransaction(RuntimeError):
    code = "event_outside_transaction"


class DomainSignal(Signal):
    """A Django signal that is also a domain event type, recorded in the outbox when sent."""

    def __init__(self, event_type: str, *, aggregate_type: str) -> None:
        super().__init__()
        self.payload_class = payload_class(event_type)  # an unknown type fails at import time
        self.event_type = event_type
        self.aggregate_type = aggregate_type
        self.connect(record_in_outbox, weak=False, dispatch_uid=f"outbox:{event_type}")

    def send_event(self, sender: Any, *, aggregate_id: str, payload: Message, correlation_id: str = "") -> OutboxEvent:
        """Send the signal (receivers run now, inside the caller's transaction) and return the
        outbox row that records the event."""
        replies = self.send(sender, aggregate_id=aggregate_id, payload=payload, correlation_id=correlation_id)
        return cast(OutboxEvent, next(reply for receiver, reply in replies if receiver is record_in_outbox))


def record_in_outbox(
    sender: Any,
    *,
    signal: DomainSignal,
    aggregate_id: str,
    payload: Message,
    correlation_id: str = "",
    **kwargs: Any,
) -> OutboxEvent:
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the event could outlive a change that fails right after it.
        raise EventOutsideTransaction(
            f"{signal.event_type} must be sent inside the transaction of the change it describes"
        )
    event_id = uuid.uuid4()
    occurred_at = timezone.now()
    envelope = pack_envelope(
        event_id=str(event_id),
        event_type=signal.event_type,
        occurred_at=occurred_at,
        aggregate_type=signal.aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        correlation_id=correlation_id,
        trace_context=current_trace_context(),  # the trace goes on in the relay and the consumers
    )
    event = OutboxEvent.objects.create(
        event_id=event_id,
        event_type=signal.event_type,
        aggregate_type=signal.aggregate_type,
        aggregate_id=aggregate_id,
        payload=envelope.SerializeToString(),
        occurred_at=occurred_at,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {OUTBOX_CHANNEL}")  # Postgres folds repeats within a transaction
    if settings.EVENTS_IN_PROCESS_DISPATCH:
        dispatch_after_commit()  # no Kafka (the embedded mode): the consumers get it after the commit
    return event
