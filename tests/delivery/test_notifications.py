"""Dispatch notifications are recorded with the change and sent once, after commit, by a real
Celery worker; a change that rolls back sends nothing."""

import time

import pytest
from django.db import transaction

from delivery.models import DispatchNotification, NotificationKind
from delivery.services.notifications import send_notification
from delivery.services.shipments import SYSTEM, assign_courier, transition_shipment
from tests.delivery.factories import make_courier, make_customer, make_shipment, make_slot, make_zone

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_sent(notification: DispatchNotification, timeout: float = 30.0) -> DispatchNotification:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.sent_at is not None:
            return notification
        time.sleep(0.1)
    raise AssertionError(f"notification {notification.pk} was not sent by the worker")


def test_a_worker_sends_each_dispatch_notification_once(celery_worker_process: str) -> None:
    zone = make_zone()
    anna = make_courier("Anna", zone)
    ben = make_courier("Ben", zone)
    customer = make_customer()
    shipment = make_shipment(make_slot(zone), customer, order_ref="o-1")

    assigned = DispatchNotification.objects.get(shipment=shipment)
    assert (assigned.kind, assigned.recipient) == (NotificationKind.COURIER_ASSIGNED, f"courier:{anna.pk}")
    assert "Order N-o-1 in Zone mitte" in assigned.message
    wait_until_sent(assigned)
    assert send_notification(assigned.pk) is False  # a redelivered task sends nothing twice

    with pytest.raises(RuntimeError), transaction.atomic():
        assign_courier(shipment.pk, courier_id=ben.pk, actor=SYSTEM)
        raise RuntimeError("the dispatcher's request fails after the assignment")
    assert DispatchNotification.objects.filter(shipment=shipment).count() == 1

    for status in ("picking", "packed", "out_for_delivery"):
        transition_shipment(shipment.pk, status, actor=SYSTEM)
    on_its_way = DispatchNotification.objects.get(kind=NotificationKind.OUT_FOR_DELIVERY)
    assert on_its_way.recipient == f"customer:{customer.pk}"
    assert on_its_way.message.startswith("Your order N-o-1 is on its way with Anna")
    wait_until_sent(on_its_way)
