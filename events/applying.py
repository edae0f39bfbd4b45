"""Applying one event through a consumer, with the retries every delivery path shares.

The Kafka consumer (events.consuming) and the in-process dispatch of the embedded mode
(events.dispatch) both go through `apply_with_retries`, so a handler is retried, given up on and
told apart from a database outage the same way whichever way its event arrived.
"""

import logging
import time

from django.db import InterfaceError, OperationalError

from events.consumer import ConsumedEvent, EventConsumer
from events.services import apply_event

logger = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


class InfrastructureFailure(Exception):
    """The database or Kafka is unavailable; the message is not at fault and will be retried."""


class HandlerGaveUp(Exception):
    """The handler failed on every attempt; the caller sets the event aside as a dead letter."""

    code = "handler_failed"

    def __init__(self, error: str, attempts: int) -> None:
        super().__init__(error)
        self.error = error
        self.attempts = attempts


def apply_with_retries(
    consumer: EventConsumer, event: ConsumedEvent, *, max_attempts: int, retry_backoff: float
) -> bool:
    """Apply the event once through the group's inbox (events.services.apply_event), retrying a
    failing handler. True if applied now, False if the group had already applied it.

    Raises InfrastructureFailure when the database is unavailable (never the event's fault, so it
    does not use up attempts) and HandlerGaveUp after `max_attempts` failures.
    """
    attempts = max(1, max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            return apply_event(consumer, event)
        except INFRASTRUCTURE_ERRORS as exc:
            raise InfrastructureFailure(f"database unavailable: {exc}") from exc
        except Exception as exc:
            if attempt == attempts:
                raise HandlerGaveUp(f"{type(exc).__name__}: {exc}", attempt) from exc
            logger.info("consumer %s: %s failed (attempt %d): %s", consumer.group, event.event_type, attempt, exc)
            time.sleep(retry_backoff * attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")
