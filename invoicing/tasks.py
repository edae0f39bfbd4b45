"""Celery tasks of the invoicing app (thin: ids in, state re-read, services do the work)."""

from celery import shared_task

from invoicing import services


@shared_task(name="invoicing.send_document")
def send_document(dispatch_id: int) -> bool:
    return services.send_dispatch(dispatch_id)
