"""The events of reservations: inventory.reserved and inventory.released, their payloads built
from plain values (the one-statement paths serialize them before the write, the portable path
announces them through the signals)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from events.contracts import quantity, set_timestamp
from inventory.models import Reservation, ReservationLine
from inventory.services.levels import ItemRef
from inventory.signals import inventory_released, inventory_reserved
from proto.events.v1 import inventory_pb2


def line_payloads(lines: Iterable[tuple[ItemRef, Decimal]]) -> list[inventory_pb2.ReservedLine]:
    return [
        inventory_pb2.ReservedLine(variant_id=str(item.variant_id), sku=item.sku, quantity=quantity(qty, item.unit))
        for item, qty in lines
    ]


def reserved_payload(
    reservation_id: int, owner_type: str, owner_id: str, expires_at: datetime, lines: list[tuple[ItemRef, Decimal]]
) -> inventory_pb2.InventoryReserved:
    payload = inventory_pb2.InventoryReserved(
        reservation_id=str(reservation_id),
        owner_type=owner_type,
        owner_id=owner_id,
        warehouse_code=lines[0][0].warehouse_code,
        lines=line_payloads(lines),
    )
    set_timestamp(payload.expires_at, expires_at)
    return payload


def released_payload(
    reservation_id: int, owner_type: str, owner_id: str, reason: str, lines: Iterable[tuple[ItemRef, Decimal]]
) -> inventory_pb2.InventoryReleased:
    return inventory_pb2.InventoryReleased(
        reservation_id=str(reservation_id),
        owner_type=owner_type,
        owner_id=owner_id,
        reason=reason,
        lines=line_payloads(lines),
    )


def announce_reserved(reservation: Reservation, lines: list[ReservationLine], refs: dict[int, ItemRef]) -> None:
    held = [(refs[line.stock_item_id], line.quantity) for line in lines]
    payload = reserved_payload(
        reservation.pk, reservation.owner_type, reservation.owner_id, reservation.expires_at, held
    )
    inventory_reserved.send_event(sender=Reservation, aggregate_id=str(reservation.pk), payload=payload)


def announce_released(reservation: Reservation, lines: list[ReservationLine], refs: dict[int, ItemRef]) -> None:
    held = ((refs[line.stock_item_id], line.quantity) for line in lines)
    payload = released_payload(
        reservation.pk, reservation.owner_type, reservation.owner_id, reservation.end_reason, held
    )
    inventory_released.send_event(sender=Reservation, aggregate_id=str(reservation.pk), payload=payload)
