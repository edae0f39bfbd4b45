"""Celery tasks of inventory (thin: the services do the work; safe to run twice or at once)."""

from celery import shared_task

from inventory.selectors import find_ledger_drift
from inventory.services import release_expired_reservations

SWEEP_BATCH = 1000


@shared_task(name="inventory.release_expired_reservations")
def release_expired() -> int:
    """Give the stock of expired reservations back (beat, every minute; reads and reserves do it
    for the items they touch). Each reservation is its own short transaction, and its state's
    conditional UPDATE makes a concurrent sweep or reader skip it."""
    released = 0
    while True:
        batch = release_expired_reservations(limit=SWEEP_BATCH)
        released += batch
        if batch < SWEEP_BATCH:
            return released


@shared_task(name="inventory.check_stock_ledger")
def check_stock_ledger() -> int:
    """Compare every stock level with its ledger (beat, hourly); logs each drift as an error and
    returns how many items drifted."""
    return len(find_ledger_drift())
