"""Dispatch notifications: a record written with the change, sent by a Celery task after commit.

Sending means logging a structured line here (no e-mail or SMS provider yet); the record says when
it was sent, so a redelivered task sends nothing twice.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit
from delivery.errors import NotificationNotFound
from delivery.models import DispatchNotification, NotificationKind, Shipment

SEND_DISPATCH_NOTIFICATION = "delivery.send_dispatch_notification"  # the task in delivery.tasks

logger = logging.getLogger(__name__)


def queue_notification(
    shipment: Shipment, kind: NotificationKind, recipient: str, message: str
) -> DispatchNotification:
    """Record the notification in the caller's transaction; the task is queued only if it commits."""
    notification = DispatchNotification.objects.create(
        shipment=shipment, kind=kind, recipient=recipient, message=message
    )
    enqueue_on_commit(SEND_DISPATCH_NOTIFICATION, notification.pk)
    return notification


def send_notification(notification_id: int) -> bool:
    """Send the notification once; False when it was already sent (or no longer exists).

    Claimed, sent and marked in one transaction: a worker killed at any point before the commit
    leaves it unsent (rolled back) for the redelivered task, never marked sent but not sent. Killed
    between the send and the commit, it is sent again: at least once, so a real provider gets the
    notification's id as its idempotency key."""
    with transaction.atomic():
        notification = (
            DispatchNotification.objects.select_for_update(of=("self",))
            .select_related("shipment")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        logger.info(
            "dispatch notification sent id=%s kind=%s recipient=%s order=%s message=%r",
            notification.pk,
            notification.kind,
            notification.recipient,
            notification.shipment.order_ref,
            notification.message,
        )
        DispatchNotification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())
    return True


def resend_notification(notification_id: int) -> DispatchNotification:
    """Send a notification again (the courier lost the message, the customer asks): a new record
    with the same shipment, kind, recipient and text, sent by the task after the commit. The
    original stays as it was, so the history shows both."""
    original = DispatchNotification.objects.select_related("shipment").filter(pk=notification_id).first()
    if original is None:
        raise NotificationNotFound()
    with transaction.atomic():
        return queue_notification(
            original.shipment, NotificationKind(original.kind), original.recipient, original.message
        )
