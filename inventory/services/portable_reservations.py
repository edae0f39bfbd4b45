"""Reserving without PostgreSQL (SQLite, the embedded run): the steps of basket.py's one
statement, one ORM statement at a time in a transaction, with the same lock order (the owner's
reservation row, then the stock items by id) and the same all-or-nothing rule. Called by
reservations.reserve_stock once the request is checked."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.quantities import as_quantity
from inventory.errors import OutOfStock, ReservationBusy, Shortage
from inventory.models import MovementReason, Reservation, ReservationLine, ReservationState, StockItem, Warehouse
from inventory.services import levels
from inventory.services.levels import ItemRef
from inventory.services.reservation_ends import release_expired_reservations
from inventory.services.reservation_events import announce_released, announce_reserved

logger = logging.getLogger(__name__)


def reserve(
    owner_type: str,
    owner_id: str,
    warehouse: Warehouse,
    variants: Mapping[int, Any],
    wanted: dict[int, Decimal],
    ttl: timedelta,
) -> Reservation:
    """Reserve `wanted` (variant id: quantity, checked against `variants`) for the owner in the
    warehouse, replacing the owner's active reservation, or nothing (OutOfStock, ReservationBusy
    after three races lost)."""
    items = {
        item.variant_id: ItemRef.of(item)
        for item in StockItem.objects.filter(warehouse=warehouse, variant_id__in=wanted).select_related(
            "warehouse", "variant"
        )
    }
    items = {
        item.variant_id: ItemRef.of(item)
        for item in StockItem.objects.filter(warehouse=warehouse, variant_id__in=wanted).select_related(
            "warehouse", "variant"
        )
    }
    unknown = [Shortage(v, variants[v].sku, q, levels.ZERO) for v, q in wanted.items() if v not in items]
    if unknown:
        raise OutOfStock(unknown)
    _check_enough(owner_type, owner_id, wanted, items)
    for _attempt in range(3):
        try:
            return _reserve_in_transaction(owner_type, owner_id, warehouse.pk, wanted, items, ttl)
        except IntegrityError as exc:
            if not _owner_race(exc):
                raise
            # A concurrent request created the owner's reservation first: replace that one.
        except _Short:
            _check_enough(owner_type, owner_id, wanted, items)
            # Freed in between: try again.
    raise ReservationBusy()


def _check_enough(owner_type: str, owner_id: str, wanted: dict[int, Decimal], items: dict[int, ItemRef]) -> None:
    """Refuse what the current levels cannot serve, without a transaction: under a rush on a sold
    out item most requests end here instead of queueing on its row (the UPDATE still decides).
    Expired reservations only matter when stock is short, so that is when they are released
    first, and they stop counting at once."""
    if not _shortages(wanted, items, {}):
        return
    release_expired_reservations(item_ids=[item.id for item in items.values()])
    short = _shortages(wanted, items, _held_by_owner(owner_type, owner_id))
    if short:
        raise OutOfStock(short)


def _owner_race(exc: IntegrityError) -> bool:
    text = str(exc)
    return "inventory_one_active_reservation_per_owner" in text or "inventory_reservation.owner_type" in text


class _Short(Exception):
    """A conditional UPDATE found too little available; the transaction rolled back."""


def _held_by_owner(owner_type: str, owner_id: str) -> dict[int, Decimal]:
    held: dict[int, Decimal] = {}
    for item_id, qty in ReservationLine.objects.filter(
        reservation__owner_type=owner_type, reservation__owner_id=owner_id, reservation__state=ReservationState.ACTIVE
    ).values_list("stock_item_id", "quantity"):
        held[item_id] = held.get(item_id, levels.ZERO) + as_quantity(qty)
    return held


def _shortages(wanted: dict[int, Decimal], items: dict[int, ItemRef], held: dict[int, Decimal]) -> list[Shortage]:
    """The lines the current levels cannot serve (what the owner holds already counts for it)."""
    return levels.shortages_in(wanted, items, levels.current_levels(item.id for item in items.values()), held)


def _reserve_in_transaction(
    owner_type: str,
    owner_id: str,
    warehouse_id: int,
    wanted: dict[int, Decimal],
    items: dict[int, ItemRef],
    ttl: timedelta,
) -> Reservation:
    now = timezone.now()
    with transaction.atomic():
        # The owner's current reservation row first (the lock order), then the new one.
        old = (
            Reservation.objects.select_for_update()
            .filter(owner_type=owner_type, owner_id=owner_id, state=ReservationState.ACTIVE)
            .first()
        )
        old_lines = list(old.lines.all()) if old is not None else []
        refs = {item.id: item for item in items.values()}
        refs |= levels.item_refs(line.stock_item_id for line in old_lines if line.stock_item_id not in refs)
        movements = []
        if old is not None:
            expired = old.expires_at <= now
            _end_state(
                old,
                now,
                ReservationState.EXPIRED if expired else ReservationState.RELEASED,
                "expired" if expired else "replaced",
            )
            movements = [
                levels.movement(
                    refs[line.stock_item_id],
                    reserved=-line.quantity,
                    reason=MovementReason.RELEASE,
                    reference=f"reservation:{old.pk} {old.end_reason}",
                    now=now,
                )
                for line in old_lines
            ]
        # A concurrent first reservation of the same owner fails this INSERT (the partial unique
        # index); the IntegrityError rolls everything back and reserve_stock tries again.
        reservation = Reservation.objects.create(
            owner_type=owner_type, owner_id=owner_id, warehouse_id=warehouse_id, expires_at=now + ttl, created_at=now
        )
        new_lines = [
            ReservationLine(reservation=reservation, stock_item_id=items[v].id, quantity=q)
            for v, q in sorted(wanted.items(), key=lambda pair: items[pair[0]].id)
        ]
        ReservationLine.objects.bulk_create(new_lines)
        # Ledger and events before the UPDATEs: the contended rows stay locked only from their
        # UPDATE to the commit.
        movements += [
            levels.movement(
                refs[line.stock_item_id],
                reserved=line.quantity,
                reason=MovementReason.RESERVATION,
                reference=f"reservation:{reservation.pk}",
                now=now,
            )
            for line in new_lines
        ]
        levels.record(movements)
        if old is not None:
            announce_released(old, old_lines, refs)
        announce_reserved(reservation, new_lines, refs)

        deltas: dict[int, Decimal] = {line.stock_item_id: line.quantity for line in new_lines}
        for line in old_lines:
            deltas[line.stock_item_id] = deltas.get(line.stock_item_id, levels.ZERO) - line.quantity
        for item_id in sorted(deltas):  # the one lock order: stock item id
            delta = deltas[item_id]
            if delta > 0:
                after = levels.move(item_id, reserved=delta, require_available=delta, now=now)
                if after is None:
                    raise _Short()
                levels.check_low_stock(
                    refs[item_id],
                    available_before=after.available + delta,
                    available_after=after.available,
                    threshold=after.threshold,
                )
            elif delta < 0:
                levels.move(item_id, reserved=delta, now=now)
        levels.changed(refs.values())
    logger.debug(
        "inventory: reserved %s for %s:%s, %d line(s) until %s",
        reservation.pk,
        owner_type,
        owner_id,
        len(new_lines),
        reservation.expires_at.isoformat(),
    )
    return reservation


def _end_state(reservation: Reservation, now: datetime, state: str, reason: str) -> None:
    reservation.state, reservation.end_reason, reservation.ended_at = state, reason, now
    reservation.save(update_fields=["state", "end_reason", "ended_at"])
