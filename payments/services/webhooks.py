"""Receiving webhooks: verify, store once, then act.

A webhook is refused (and nothing is stored) unless its signature matches and its timestamp is
within PAYMENTS_WEBHOOK_TOLERANCE_SECONDS. A verified one is stored, once per provider event id,
and committed before it is applied, so a crash in between loses nothing: the beat sweep applies
what was stored and not processed. A replay of a processed event is answered 200 and does nothing.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from payments import selectors
from payments.errors import UnknownGateway, UnknownWebhookGateway, WebhooksNotSupported
from payments.gateways import get_gateway
from payments.gateways.signing import SIGNATURE_HEADER
from payments.models import WebhookEvent
from payments.services.queue import apply_webhook_event_later
from payments.services.recording import apply_notification

logger = logging.getLogger(__name__)


def receive_webhook(gateway_name: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """Verify, store and process one delivery; returns the answer for the provider."""
    try:
        gateway = get_gateway(gateway_name)
    except UnknownGateway:
        raise UnknownWebhookGateway() from None  # a 404, naming no gateways to strangers
    if not gateway.supports_webhooks:
        raise WebhooksNotSupported()
    gateway.verify_webhook(headers, body)
    notification = gateway.parse_webhook(body)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway_name,
                provider_event_id=notification.event_id,
                event_type=notification.event_type,
                body=body.decode(),
                signature=headers.get(SIGNATURE_HEADER, "")[:512],
            )
    except IntegrityError:
        WebhookEvent.objects.filter(gateway=gateway_name, provider_event_id=notification.event_id).update(
            deliveries=F("deliveries") + 1
        )
        stored = WebhookEvent.objects.get(gateway=gateway_name, provider_event_id=notification.event_id)
        if stored.processed_at is not None:
            return {"received": notification.event_id, "duplicate": True, "outcome": stored.outcome}
        event = stored  # stored by an earlier delivery that did not get to process it
    try:
        outcome = apply_webhook_event(event.pk)
    except Exception:
        logger.exception("webhook %s %s stored; applying it failed", gateway_name, notification.event_id)
        apply_webhook_event_later(event.pk)
        outcome = "stored; it will be applied by a retry"
    return {"received": notification.event_id, "duplicate": False, "outcome": outcome}


def apply_webhook_event(webhook_event_id: int) -> str:
    """Apply a stored webhook to the ledger, once; returns what it did. A failure is kept on the
    event (for the admin) and raised, so the caller retries."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=webhook_event_id)
            if event.processed_at is not None:
                return event.outcome
            notification = get_gateway(event.gateway).parse_webhook(event.body.encode())
            event.outcome = apply_notification(notification)[:255]
            event.processed_at, event.attempts, event.last_error = timezone.now(), event.attempts + 1, ""
            event.save()
            return event.outcome
    except Exception as failure:
        WebhookEvent.objects.filter(pk=webhook_event_id).update(
            attempts=F("attempts") + 1, last_error=repr(failure)[:2000]
        )
        raise


def requeue_unapplied_webhooks(older_than: timedelta) -> list[int]:
    """Queue the stored webhooks that nothing applied yet (the process died, or the retries gave
    up) to be applied again; returns their ids."""
    ids = selectors.unprocessed_webhook_ids(older_than)
    for webhook_event_id in ids:
        apply_webhook_event_later(webhook_event_id)
    return ids
