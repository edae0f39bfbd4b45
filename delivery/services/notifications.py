"""Dispatch notifications: a record written with the change, sent by a Celery task after commit.

Sending means logging a structured line here (no e-mail or SMS provider yet); the record says when
it was sent, so a redelivered task sends nothing twice.
"""

import logging

from django.utils import timezone

from delivery.models import DispatchNotification, NotificationKind, Shipment

logger = logging.getLogger(__name__)


def queue_notification(shipment: Shipment, kind: NotificationKind, recipient: str,
                       message: str) -> DispatchNotification:
    """Record the notification in the caller's transaction; the task is queued only if it commits."""
    from delivery.tasks import send_dispatch_notification  # the tasks module imports the services

    notification = DispatchNotification.objects.create(shipment=shipment, kind=kind, recipient=recipient,
                                                       message=message)
    send_dispatch_notification.delay_on_commit(notification.pk)  # type: ignore[attr-defined]  # not in stubs yet
    return notification


def send_notification(notification_id: int) -> bool:
    """Send the notification once; False when it was already sent (or no longer exists)."""
    sent = DispatchNotification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=timezone.now())
    if not sent:
        return False
    notification = DispatchNotification.objects.select_related("shipment").get(pk=notification_id)
    logger.info("dispatch notification sent id=%s kind=%s recipient=%s order=%s message=%r", notification.pk,
                notification.kind, notification.recipient, notification.shipment.order_ref, notification.message)
    return True
