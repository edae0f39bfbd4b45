"""Celery tasks of payments (thin: ids in, state re-read by the services).

Gateway calls retry with exponential backoff and jitter while the provider's answer is unknown;
every retry sends the same provider idempotency key, so a retry never moves money twice. Beat
re-queues what fell through (stalled transactions, unapplied webhooks) and voids lapsing
authorizations.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from payments import services, webhooks
from payments.gateways import test_card_provider
from payments.gateways.base import GatewayUnavailable


class WebhookNotDelivered(Exception):
    """The receiver did not answer 2xx; the sandbox provider tries again later."""


# Backoff 2, 4, 8 ... s (with full jitter), capped at 5 minutes: about 20 minutes of retries, then
# the redrive job takes over.
@shared_task(name="payments.execute_transaction", autoretry_for=(GatewayUnavailable,), retry_backoff=2,
             retry_backoff_max=300, retry_jitter=True, max_retries=10)
def execute_transaction_task(transaction_id: int) -> str | None:
    txn = services.execute_transaction(transaction_id)
    return txn.status if txn else None


@shared_task(name="payments.apply_webhook_event", autoretry_for=(Exception,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8)
def apply_webhook_event_task(webhook_event_id: int) -> str:
    return webhooks.apply_webhook_event(webhook_event_id)


@shared_task(name="payments.redrive")
def redrive() -> dict[str, int]:
    """Re-queue gateway calls and webhooks that nothing finished (beat, every few minutes)."""
    stalled = services.stalled_transactions(timedelta(minutes=settings.PAYMENTS_REDRIVE_AFTER_MINUTES))
    unapplied = webhooks.unprocessed_webhooks(timedelta(minutes=1))
    for webhook_event_id in unapplied:
        apply_webhook_event_task.delay(webhook_event_id)
    return {"transactions": len(stalled), "webhooks": len(unapplied)}


@shared_task(name="payments.expire_authorizations")
def expire_authorizations() -> int:
    return services.expire_authorizations()


# --- The sandbox provider's own workers (they stand for the provider's infrastructure) ----------


@shared_task(name="payments.test_card_deliver_webhook", autoretry_for=(WebhookNotDelivered,), retry_backoff=2,
             retry_backoff_max=600, max_retries=12)
def test_card_deliver_webhook(event_pk: int) -> bool:
    if not test_card_provider.deliver_event(event_pk):
        raise WebhookNotDelivered(f"test card webhook event {event_pk}")
    return True


@shared_task(name="payments.test_card_complete_authentication")
def test_card_complete_authentication(charge_reference: str) -> bool:
    return test_card_provider.complete_authentication(charge_reference)
