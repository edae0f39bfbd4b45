"""Celery tasks of the orders app (thin: the services do the work)."""

from celery import shared_task

from orders.services import cart, lifecycle


@shared_task(name="orders.cancel_unpaid_orders")
def cancel_unpaid_orders() -> int:
    """Cancel orders whose payment was not authorized in time, releasing stock, slot and money
    (beat, every minute)."""
    return lifecycle.cancel_unpaid_orders()


@shared_task(name="orders.purge_abandoned_carts")
def purge_abandoned_carts() -> int:
    """Delete visitors' carts untouched for ORDERS_ANONYMOUS_CART_DAYS (beat, daily)."""
    return cart.purge_abandoned_carts()
