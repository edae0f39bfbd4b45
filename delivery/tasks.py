"""Celery tasks of the delivery app (thin: ids in, state re-read, services do the work)."""

from celery import shared_task

from delivery.services import holds, notifications, slots


@shared_task(name="delivery.generate_slots")
def generate_slots() -> int:
    """Dated slots for DELIVERY_SLOTS_DAYS_AHEAD days (beat, hourly; idempotent)."""
    return slots.generate_slots()


@shared_task(name="delivery.release_expired_holds")
def release_expired_holds() -> int:
    """Give the places of expired holds back (beat, every minute; the read path does it too)."""
    return holds.release_all_expired_holds()


@shared_task(name="delivery.send_dispatch_notification")
def send_dispatch_notification(notification_id: int) -> bool:
    return notifications.send_notification(notification_id)
