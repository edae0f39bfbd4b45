"""Committing a reservation: its goods leave the warehouse (picked and handed over).

What leaves is what was picked, which need not be what was reserved. Every reservation line drops
`reserved` by its reserved quantity and `on_hand` by what was picked of its variant: a short pick
gives the rest back to available; weighed goods picked heavier take the excess from available,
and a substitute variant is taken from the available stock of the same warehouse. Whatever needs
available stock goes through the one conditional UPDATE (`levels.move(require_available=...)`),
so a pick can never oversell; a refusal rolls the whole commit back and the reservation stays
active.

The lock order is the one of reservations.py: the reservation row first (its conditional state
flip decides which of several concurrent commits and releases ends it), then the stock items in
ascending id order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from catalog import selectors as catalog
from core.quantities import as_quantity
from inventory.errors import OutOfStock, ReservationNotActive, Shortage, VariantNotFound
from inventory.models import (
    ZERO,
    MovementReason,
    Reservation,
    ReservationLine,
    ReservationState,
    StockItem,
    StockMovement,
)
from inventory.services import levels
from inventory.services.levels import ItemRef
from inventory.services.reservation_ends import (
    ReservationRef,
    explain_unusable,
    release_expired_reservations,
    reservation_id_of,
)

if TYPE_CHECKING:
    from catalog.models import Variant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Take:
    """What one stock item gives up: `picked` leaves on-hand, `reserved` (the line's quantity; 0
    for a substitute) stops being promised."""

    item: ItemRef
    picked: Decimal
    reserved: Decimal

    @property
    def from_available(self) -> Decimal:
        """The part of the pick the reservation did not hold: it must come from available stock."""
        return max(self.picked - self.reserved, ZERO)


class _ShortPick(Exception):
    """A conditional UPDATE found too little available for a pick; the transaction rolled back."""

    def __init__(self, shortages: list[Shortage], item_ids: list[int]) -> None:
        super().__init__(shortages)
        self.shortages, self.item_ids = shortages, item_ids


def commit_reservation(
    reservation: ReservationRef,
    *,
    reference: str = "",
    actor_id: int | None = None,
    picked: Mapping[int, Decimal] | None = None,
) -> Reservation:
    """The goods leave. Without `picked`, every line leaves at its reserved quantity; with it
    (variant id -> quantity that left, 0 allowed), each line's reservation ends and on-hand drops
    by what was picked of its variant (0 when absent), and variants the reservation does not hold
    are taken from available stock. OutOfStock when a heavier pick or a substitute finds too little
    available: then nothing changed. Committing again returns the committed reservation whatever
    `picked` says; an expired one is refused."""
    reservation_id = reservation_id_of(reservation)
    now = timezone.now()
    try:
        committed = _commit(reservation_id, reference=reference, actor_id=actor_id, picked=picked, now=now)
    except _ShortPick as short:
        # Expired reservations stop counting at once (as when reserving): when they hold what the
        # pick needs, free them and try once more; otherwise the shortage is real.
        if not release_expired_reservations(item_ids=short.item_ids):
            raise OutOfStock(short.shortages) from None
        now = timezone.now()
        try:
            committed = _commit(reservation_id, reference=reference, actor_id=actor_id, picked=picked, now=now)
        except _ShortPick as again:
            raise OutOfStock(again.shortages) from None
    if committed:
        logger.info("inventory: reservation %s committed (%s)", reservation_id, reference or "-")
        return Reservation.objects.get(pk=reservation_id)
    found = explain_unusable(reservation_id, now)
    if found.state == ReservationState.COMMITTED:
        return found
    raise ReservationNotActive(f"Reservation {reservation_id} was {found.state}; reserve the stock again.")


def _commit(
    reservation_id: int, *, reference: str, actor_id: int | None, picked: Mapping[int, Decimal] | None, now: datetime
) -> bool:
    """Commit the reservation if it is active and unexpired; False when it is not (any more)."""
    with transaction.atomic():
        if not Reservation.objects.filter(pk=reservation_id, state=ReservationState.ACTIVE, expires_at__gt=now).update(
            state=ReservationState.COMMITTED, end_reason="committed", ended_at=now
        ):
            return False
        # Bad input raises from here on, which rolls the state flip back too.
        takes = _takes(reservation_id, picked)
        label = f"reservation:{reservation_id}" + (f" {reference}" if reference else "")
        # Ledger before the UPDATEs: a contended row (a scarce substitute) stays locked only from its
        # UPDATE to the commit. A refused UPDATE rolls these back with everything else.
        levels.record(_movement(take, label, actor_id, now) for take in takes)
        for index, take in enumerate(takes):  # sorted by stock item id: the one lock order
            need = take.from_available
            after = levels.move(
                take.item.id,
                on_hand=-take.picked,
                reserved=-take.reserved,
                now=now,
                require_available=need if need else None,
            )
            if after is None:
                raise _ShortPick(
                    _shortages(take, takes[index + 1 :]), [t.item.id for t in takes[index:] if t.from_available]
                )
            if take.picked:
                levels.announce_adjusted(
                    take.item,
                    delta=-take.picked,
                    on_hand_after=after.on_hand,
                    reason=MovementReason.SALE,
                    reference=label,
                    actor_id=actor_id,
                )
            if need:
                # Only what came from available can cross the threshold; a short pick raises available.
                levels.check_low_stock(
                    take.item,
                    available_before=after.available + need,
                    available_after=after.available,
                    threshold=after.threshold,
                )
        levels.changed(take.item for take in takes)
    return True


def _takes(reservation_id: int, picked: Mapping[int, Decimal] | None) -> list[_Take]:
    """What each stock item gives up, in ascending stock item id order."""
    lines = list(ReservationLine.objects.filter(reservation_id=reservation_id).order_by("stock_item_id"))
    refs = levels.item_refs(line.stock_item_id for line in lines)
    if picked is None:
        return [
            _Take(refs[line.stock_item_id], as_quantity(line.quantity), as_quantity(line.quantity)) for line in lines
        ]
    wanted, variants = _clean_picked(picked)
    takes = [
        _Take(
            refs[line.stock_item_id], wanted.get(refs[line.stock_item_id].variant_id, ZERO), as_quantity(line.quantity)
        )
        for line in lines
    ]
    held = {take.item.variant_id for take in takes}
    # A substitute picked as 0 moves nothing, so it needs no stock item either.
    substitutes = {variant_id: qty for variant_id, qty in wanted.items() if variant_id not in held and qty}
    if substitutes:
        warehouse_id = Reservation.objects.values_list("warehouse_id", flat=True).get(pk=reservation_id)
        items = {
            item.variant_id: ItemRef.of(item)
            for item in StockItem.objects.filter(warehouse_id=warehouse_id, variant_id__in=substitutes).select_related(
                "warehouse", "variant"
            )
        }
        unstocked = [Shortage(v, variants[v].sku, q, ZERO) for v, q in substitutes.items() if v not in items]
        if unstocked:
            raise OutOfStock(unstocked)  # no retry can help: the warehouse never held them
        takes += [_Take(items[v], q, ZERO) for v, q in substitutes.items()]
    return sorted(takes, key=lambda take: take.item.id)


def _clean_picked(picked: Mapping[int, Decimal]) -> tuple[dict[int, Decimal], dict[int, Variant]]:
    # No step check: weighed goods are picked at whatever the scale says, to the gram.
    variants = catalog.variants_by_ids(picked)
    cleaned: dict[int, Decimal] = {}
    for variant_id, amount in picked.items():
        field = f"picked.{variant_id}"
        variant = variants.get(variant_id)
        if variant is None:
            raise VariantNotFound(f"There is no variant {variant_id}.", fields={field: ["No such variant."]})
        cleaned[variant_id] = levels.clean_quantity(amount, unit=variant.unit, field=field, allow_zero=True)
    return cleaned, variants


def _movement(take: _Take, label: str, actor_id: int | None, now: datetime) -> StockMovement:
    if take.picked:
        return levels.movement(
            take.item,
            on_hand=-take.picked,
            reserved=-take.reserved,
            reason=MovementReason.SALE,
            reference=label,
            actor_id=actor_id,
            now=now,
        )
    # Nothing of this line was picked: only its reservation ends, which is a release in the ledger
    # (a SALE that sold nothing would read wrong in stock reports).
    return levels.movement(
        take.item,
        reserved=-take.reserved,
        reason=MovementReason.RELEASE,
        reference=label,
        note="not picked",
        actor_id=actor_id,
        now=now,
    )


def _shortages(refused: _Take, rest: Sequence[_Take]) -> list[Shortage]:
    """The refused pick and those of the rest (not moved yet, so this transaction's own changes do
    not count) that the current levels cannot serve either; what the reservation held of a line
    counts as available for it."""
    needing = [refused, *(take for take in rest if take.from_available)]
    now = levels.current_levels(take.item.id for take in needing)
    short = []
    for take in needing:
        available = max(now[take.item.id].available if take.item.id in now else ZERO, ZERO)
        # The refused one is short even if stock came back since its UPDATE: that UPDATE decided.
        if take is refused or available < take.from_available:
            short.append(Shortage(take.item.variant_id, take.item.sku, take.picked, available + take.reserved))
    return short
