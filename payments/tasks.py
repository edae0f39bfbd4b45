"""Celery tasks of payments (thin: ids in, state re-read by the services).

Gateway calls retry with exponential backoff and jitter while the provider's answer is unknown;
every retry sends the same provider idempotency key, so a retry never moves money twice. Beat
re-queues what fell through (stalled transactions, unapplied webhooks) and voids lapsing
authorizations. The services queue these by name (payments.services.queue); the names are what
beat schedules and queued messages refer to, so they never change.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from payments import services
from payments.gateways.base import GatewayUnavailable


# Backoff 2, 4, 8 ... s (with full jitter), capped at 5 minutes: about 20 minutes of retries, then
# the redrive job takes over.
@shared_task(
    name="payments.execute_transaction",
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def execute_transaction_task(transaction_id: int) -> str | None:
    txn = services.execute_transaction(transaction_id)
    return txn.status if txn else None


@shared_task(
    name="payments.apply_webhook_event",
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
)
def apply_webhook_event_task(webhook_event_id: int) -> str:
    return services.apply_webhook_event(webhook_event_id)


@shared_task(name="payments.redrive")
def redrive() -> dict[str, int]:
    """Re-queue gateway calls and webhooks that nothing finished (beat, every few minutes)."""
    stalled = services.requeue_stalled_transactions(timedelta(minutes=settings.PAYMENTS_REDRIVE_AFTER_MINUTES))
    unapplied = services.requeue_unapplied_webhooks(timedelta(minutes=1))
    return {"transactions": len(stalled), "webhooks": len(unapplied)}


@shared_task(name="payments.expire_authorizations")
def expire_authorizations() -> int:
    return services.expire_authorizations()
