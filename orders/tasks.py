"""Celery tasks of the orders app (thin: the services do the work)."""

from celery import shared_task

from orders.services import lifecycle


@shared_task(name="orders.cancel_unpaid_orders")
def cancel_unpaid_orders() -> int:
    """Cancel orders whose payment was not authorized in time, releasing stock, slot and money
    (beat, every minute)."""
    return lifecycle.cancel_unpaid_orders()
