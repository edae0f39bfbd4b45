"""The sandbox provider's own workers (they stand for the provider's infrastructure). The provider
queues them by name; PaymentsConfig.ready imports this module so every process registers them."""

from celery import shared_task

from payments.sandbox import provider, webhooks


class WebhookNotDelivered(Exception):
    """The receiver did not answer 2xx; the sandbox provider tries again later."""


@shared_task(
    name=webhooks.DELIVER_WEBHOOK,
    autoretry_for=(WebhookNotDelivered,),
    retry_backoff=2,
    retry_backoff_max=600,
    max_retries=12,
)
def test_card_deliver_webhook(event_pk: int) -> bool:
    if not webhooks.deliver_event(event_pk):
        raise WebhookNotDelivered(f"test card webhook event {event_pk}")
    return True


@shared_task(name=provider.COMPLETE_AUTHENTICATION)
def test_card_complete_authentication(charge_reference: str) -> bool:
    return provider.complete_authentication(charge_reference)
