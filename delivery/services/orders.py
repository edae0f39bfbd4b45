"""What the order events tell delivery, applied in whatever order they arrive.

order.created carries the slot and the customer, order.confirmed makes the order deliverable; the
shipment is created when both are known (and the order was not cancelled), so a confirmation that
overtakes its creation (a replay, a retried dead letter) still yields exactly one shipment.
"""

import logging
from datetime import datetime

from django.db import transaction

from delivery.errors import InvalidOrderEvent
from delivery.models import DeliveryOrder, DeliverySlot, Shipment, ShipmentStatus
from delivery.services import holds
from delivery.services.shipments import SYSTEM, TRANSITIONS, create_shipment, transition_shipment

logger = logging.getLogger(__name__)


def _locked_order(order_ref: str) -> DeliveryOrder:
    if not order_ref:
        raise InvalidOrderEvent("The order event has no order id.")
    DeliveryOrder.objects.get_or_create(order_ref=order_ref)  # survives a concurrent first insert
    return DeliveryOrder.objects.select_for_update().get(order_ref=order_ref)


def _ship_if_ready(order: DeliveryOrder) -> Shipment | None:
    if order.placed_seen_at is None or order.confirmed_at is None or order.cancelled_at is not None:
        return None
    if order.slot is None:
        logger.info("delivery: order %s has no delivery slot; nothing to ship", order.order_ref)
        return None
    return create_shipment(
        order_ref=order.order_ref, order_number=order.order_number, customer_ref=order.customer_ref, slot=order.slot
    )


def record_order_placed(
    *, order_ref: str, order_number: str, customer_ref: str, slot_ref: str, seen_at: datetime
) -> Shipment | None:
    slot: DeliverySlot | None = None
    if slot_ref:
        slot = DeliverySlot.objects.filter(pk=int(slot_ref)).first() if slot_ref.isdigit() else None
        if slot is None:
            raise InvalidOrderEvent(f"Order {order_ref} names delivery slot {slot_ref!r}, which does not exist.")
    with transaction.atomic():
        order = _locked_order(order_ref)
        order.order_number, order.customer_ref, order.slot = order_number, customer_ref, slot
        order.placed_seen_at = order.placed_seen_at or seen_at
        order.save()
        return _ship_if_ready(order)


def record_order_confirmed(*, order_ref: str, confirmed_at: datetime) -> Shipment | None:
    with transaction.atomic():
        order = _locked_order(order_ref)
        if order.confirmed_at is None:
            order.confirmed_at = confirmed_at
            order.save(update_fields=["confirmed_at"])
        return _ship_if_ready(order)


def record_order_cancelled(*, order_ref: str, cancelled_at: datetime, reason: str = "") -> None:
    """Free the order's booked place and cancel its shipment while that is still allowed; a
    shipment already on the road is left to the dispatcher (it comes back as `returned`)."""
    with transaction.atomic():
        order = _locked_order(order_ref)
        if order.cancelled_at is None:
            order.cancelled_at = cancelled_at
            order.save(update_fields=["cancelled_at"])
        holds.cancel_booking(order_ref)
        shipment = Shipment.objects.filter(order_ref=order_ref).first()
        if shipment is None:
            return
        if ShipmentStatus.CANCELLED in TRANSITIONS[shipment.status]:
            transition_shipment(
                shipment.pk,
                ShipmentStatus.CANCELLED,
                actor=SYSTEM,
                note=f"order cancelled: {reason}" if reason else "order cancelled",
            )
        elif shipment.status != ShipmentStatus.CANCELLED:
            logger.warning(
                "delivery: order %s was cancelled while its shipment %s is %s; the dispatcher decides",
                order_ref,
                shipment.pk,
                shipment.status,
            )
