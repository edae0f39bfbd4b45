"""The shipment state machine and courier assignment.

A shipment changes status only through `transition_shipment`, which locks the row, checks the
explicit TRANSITIONS table and writes a history row with the change: an illegal move is refused
(409 illegal_transition) and changes nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from delivery import signals
from delivery.errors import (
    CourierNotFound,
    CourierRequired,
    CourierUnavailable,
    DeliveryError,
    IllegalTransition,
    NoCourierAvailable,
    ShipmentNotFound,
)
from delivery.models import (
    Courier,
    DeliverySlot,
    HistoryKind,
    NotificationKind,
    Shipment,
    ShipmentHistory,
    ShipmentStatus,
)
from delivery.services.notifications import queue_notification
from proto.events.v1 import orders_pb2

logger = logging.getLogger(__name__)

S = ShipmentStatus
# Every allowed move; anything else is illegal. Cancelling stops at the van door: once out for
# delivery the goods come back as `returned`. A failed attempt is retried or returned.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.OUT_FOR_DELIVERY, S.CANCELLED}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.FAILED_ATTEMPT, S.RETURNED}),
    S.FAILED_ATTEMPT: frozenset({S.OUT_FOR_DELIVERY, S.RETURNED}),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Shipments that keep a courier busy: what "least loaded" counts.
ACTIVE_STATUSES = frozenset({S.PENDING, S.PICKING, S.PACKED, S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT})
# A courier can be (re)assigned until the goods are on the road.
ASSIGNABLE_STATUSES = frozenset({S.PENDING, S.PICKING, S.PACKED, S.FAILED_ATTEMPT})


@dataclass(frozen=True)
class Actor:
    """Who made a change: a staff member, or a process of the system."""

    user_id: int | None
    label: str

    @classmethod
    def of(cls, user: Any) -> "Actor":
        return cls(user_id=user.pk, label=str(user.get_username()))


SYSTEM = Actor(user_id=None, label="system")


def _window(shipment: Shipment) -> str:
    tz = ZoneInfo(shipment.zone.time_zone)
    start, end = shipment.slot.starts_at.astimezone(tz), shipment.slot.ends_at.astimezone(tz)
    return f"{start:%a %d %b %H:%M}-{end:%H:%M}"


def _record(
    shipment: Shipment,
    *,
    kind: HistoryKind,
    from_status: str,
    actor: Actor,
    note: str,
    at: datetime,
    courier: Courier | None = None,
) -> None:
    ShipmentHistory.objects.create(
        shipment=shipment,
        kind=kind,
        from_status=from_status,
        to_status=shipment.status,
        courier=courier,
        actor_id=actor.user_id,
        actor_label=actor.label,
        note=note[:500],
        at=at,
    )


def _locked(shipment_id: int) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("slot", "zone", "courier")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise ShipmentNotFound(f"There is no shipment {shipment_id}.")
    return shipment


def create_shipment(
    *, order_ref: str, order_number: str, customer_ref: str, slot: DeliverySlot, note: str = "order confirmed"
) -> Shipment:
    """The shipment of a confirmed order, pending, with the least loaded courier of its zone if any
    is on shift. Creating it again for the same order returns the existing one."""
    existing = Shipment.objects.filter(order_ref=order_ref).first()
    if existing is not None:
        return existing
    now = timezone.now()
    with transaction.atomic():
        shipment = Shipment.objects.create(
            order_ref=order_ref,
            order_number=order_number,
            customer_ref=customer_ref,
            slot=slot,
            zone_id=slot.zone_id,
            status=S.PENDING,
            status_changed_at=now,
        )
        _record(shipment, kind=HistoryKind.STATUS, from_status="", actor=SYSTEM, note=note, at=now)
        courier = _least_loaded_courier(slot.zone_id)
        if courier is None:
            logger.warning("delivery: no courier on shift in zone %s for order %s", slot.zone_id, order_ref)
        else:
            _assign(shipment, courier, actor=SYSTEM, note="least loaded courier of the zone", at=now)
    return shipment


def transition_shipment(shipment_id: int, to_status: str, *, actor: Actor, note: str = "") -> Shipment:
    if to_status not in TRANSITIONS:
        raise DeliveryError(
            f"{to_status!r} is not a shipment status.", fields={"status": [f"Use one of: {', '.join(TRANSITIONS)}."]}
        )
    now = timezone.now()
    with transaction.atomic():
        shipment = _locked(shipment_id)
        from_status = shipment.status
        if to_status not in TRANSITIONS[from_status]:
            allowed = ", ".join(sorted(TRANSITIONS[from_status])) or "nothing (it is final)"
            raise IllegalTransition(
                f"A shipment that is {from_status} cannot become {to_status}; it can become: {allowed}."
            )
        if to_status == S.OUT_FOR_DELIVERY and shipment.courier is None:
            raise CourierRequired("Assign a courier before the shipment goes out for delivery.")
        shipment.status, shipment.status_changed_at = to_status, now
        shipment.save(update_fields=["status", "status_changed_at"])
        _record(shipment, kind=HistoryKind.STATUS, from_status=from_status, actor=actor, note=note, at=now)
        _announce(shipment, from_status, now)
    logger.info("delivery: shipment %s %s -> %s by %s", shipment.pk, from_status, to_status, actor.label)
    return shipment


def _announce(shipment: Shipment, from_status: str, now: datetime) -> None:
    """Tell the customer, and the order, what the transition means for them."""
    customer = f"customer:{shipment.customer_ref}"
    number = shipment.order_number or shipment.order_ref
    if shipment.status == S.OUT_FOR_DELIVERY:
        assert shipment.courier is not None  # transition_shipment requires one
        queue_notification(
            shipment,
            NotificationKind.OUT_FOR_DELIVERY,
            customer,
            f"Your order {number} is on its way with {shipment.courier.name} ({_window(shipment)}).",
        )
        if from_status == S.PACKED:  # a retry after a failed attempt is not a second shipping
            payload = orders_pb2.OrderShipped(
                order_id=shipment.order_ref, shipment_id=str(shipment.pk), courier_id=str(shipment.courier.pk)
            )
            payload.shipped_at.FromDatetime(now.astimezone(UTC))
            signals.order_shipped.send_event(sender=Shipment, aggregate_id=shipment.order_ref, payload=payload)
    elif shipment.status == S.DELIVERED:
        queue_notification(shipment, NotificationKind.DELIVERED, customer, f"Your order {number} was delivered.")
        delivered = orders_pb2.OrderDelivered(order_id=shipment.order_ref, shipment_id=str(shipment.pk))
        delivered.delivered_at.FromDatetime(now.astimezone(UTC))
        signals.order_delivered.send_event(sender=Shipment, aggregate_id=shipment.order_ref, payload=delivered)
    elif shipment.status == S.FAILED_ATTEMPT:
        queue_notification(
            shipment,
            NotificationKind.FAILED_ATTEMPT,
            customer,
            f"We could not deliver your order {number}; we will contact you to try again.",
        )


def _least_loaded_courier(zone_id: int) -> Courier | None:
    """The active courier of the zone with the fewest active shipments, ties by id.

    The zone's couriers are locked (in id order) so that two assignments at once count each other's
    shipments instead of both picking the same courier."""
    ids = list(
        Courier.objects.select_for_update(of=("self",))
        .filter(zones=zone_id, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return None
    loads = dict(
        Shipment.objects.filter(courier_id__in=ids, status__in=ACTIVE_STATUSES)
        .values("courier_id")
        .annotate(n=Count("id"))
        .values_list("courier_id", "n")
    )
    best = min(ids, key=lambda pk: (loads.get(pk, 0), pk))
    return Courier.objects.get(pk=best)


def _assign(shipment: Shipment, courier: Courier, *, actor: Actor, note: str, at: datetime) -> None:
    shipment.courier = courier
    shipment.save(update_fields=["courier"])
    _record(
        shipment,
        kind=HistoryKind.COURIER,
        from_status=shipment.status,
        actor=actor,
        at=at,
        courier=courier,
        note=note or f"assigned to {courier.name}",
    )
    queue_notification(
        shipment,
        NotificationKind.COURIER_ASSIGNED,
        f"courier:{courier.pk}",
        f"Order {shipment.order_number or shipment.order_ref} in {shipment.zone.name}, {_window(shipment)}, is yours.",
    )


def assign_courier(shipment_id: int, *, courier_id: int | None, actor: Actor, note: str = "") -> Shipment:
    """A dispatcher's choice of courier (any courier on shift, even from another zone), or with no
    courier given the least loaded one of the shipment's zone."""
    now = timezone.now()
    with transaction.atomic():
        shipment = _locked(shipment_id)
        if shipment.status not in ASSIGNABLE_STATUSES:
            raise IllegalTransition(f"A shipment that is {shipment.status} cannot change its courier.")
        if courier_id is None:
            courier = _least_loaded_courier(shipment.zone_id)
            if courier is None:
                raise NoCourierAvailable(f"No courier of zone {shipment.zone.name} is on shift.")
            note = note or "least loaded courier of the zone"
        else:
            courier = Courier.objects.select_for_update().filter(pk=courier_id).first()
            if courier is None:
                raise CourierNotFound(f"There is no courier {courier_id}.", fields={"courier": ["Unknown courier."]})
            if not courier.is_active:
                raise CourierUnavailable(f"{courier.name} is not on shift.")
        if shipment.courier_id != courier.pk:
            _assign(shipment, courier, actor=actor, note=note, at=now)
    return shipment
