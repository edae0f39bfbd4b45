"""Reservations: stock promised to a cart or an order, all lines or none, until it expires.

Reserving is one conditional UPDATE per stock item (`reserved + q` where `on_hand - reserved >= q`),
taken in ascending stock item id order inside one transaction; a row count of 0 rolls the whole
reservation back. Every path that ends a reservation first flips its state with a conditional
UPDATE of the reservation row (so exactly one path ends it) and only then gives its lines back, in
the same item order: the lock order is always reservation row, then stock items by id, so two
baskets {A, B} and {B, A}, a sweep and a commit (commits.py) can never deadlock.

Expired reservations stop counting at once: reserving and reading availability release the expired
reservations of the items they touch first, and the beat task sweeps the rest. Ending and handing over a
reservation live in reservation_ends.py, the events' payloads in reservation_events.py.

On PostgreSQL a reservation is two round trips, one read and one statement that does all of the
above (basket.py), and an owner's first reservation of items the process has read before is one
statement (first_reservation.py); without PostgreSQL (SQLite, the embedded run) it is the same
steps one statement at a time in a transaction (portable_reservations.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

from catalog import selectors as catalog
from core.errors import InvalidInput
from events.bridge import PreparedEvent, prepare_event
from events.keyed import prepare_keyed_event
from inventory.errors import (
    OutOfStock,
    ReservationBusy,
    Shortage,
    VariantNotFound,
    VariantNotSellable,
)
from inventory.models import Reservation, ReservationState
from inventory.services import basket, first_reservation, levels, portable_reservations
from inventory.services.reservation_ends import clean_owner, clean_ttl, release_expired_reservations
from inventory.services.reservation_events import (
    released_payload,
    reserved_payload,
)
from inventory.services.stock import active_warehouse
from inventory.signals import inventory_released, inventory_reserved

logger = logging.getLogger(__name__)


class _VariantLike(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def step(self) -> Decimal: ...
    @property
    def is_active(self) -> bool: ...


def _wanted(lines: Sequence[tuple[int, object]], variants: Mapping[int, _VariantLike]) -> dict[int, Decimal]:
    """The requested quantity per variant (repeated variants add up), checked against the variant."""
    wanted: dict[int, Decimal] = {}
    for index, (variant_id, amount) in enumerate(lines):
        variant = variants.get(variant_id)
        if variant is None:
            raise VariantNotFound(f"There is no variant {variant_id}.", fields={f"lines.{index}": ["No such variant."]})
        if not variant.is_active:
            raise VariantNotSellable(
                f"{variant.sku} is not sold at the moment.", fields={f"lines.{index}": ["Not sold at the moment."]}
            )
        qty = levels.clean_quantity(amount, unit=variant.unit, step=variant.step, field=f"lines.{index}")
        wanted[variant_id] = wanted.get(variant_id, levels.ZERO) + qty
    return wanted


def reserve_stock(
    *,
    owner_type: str,
    owner_id: str,
    lines: Sequence[tuple[int, object]],
    warehouse_code: str,
    ttl: timedelta | None = None,
) -> Reservation:
    """Reserve every line for the owner in the warehouse until now + ttl, or nothing (OutOfStock
    names each short SKU and what is available). An active reservation of the same owner is
    replaced in the same transaction: if the new one fails, the old one stays."""
    owner_type, owner_id = clean_owner(owner_type, owner_id)
    ttl = clean_ttl(ttl)
    if not lines:
        raise InvalidInput("A reservation needs at least one line.", fields={"lines": ["At least one line."]})
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: each lookup costs a few µs
    if db.vendor == "postgresql":
        return _reserve_in_one_statement(owner_type, owner_id, lines, warehouse_code, ttl, db)
    warehouse = active_warehouse(warehouse_code)
    variants = catalog.variants_by_ids(variant_id for variant_id, _ in lines)
    wanted = _wanted(lines, variants)
    return portable_reservations.reserve(owner_type, owner_id, warehouse, variants, wanted, ttl)


def _reserve_in_one_statement(
    owner_type: str,
    owner_id: str,
    lines: Sequence[tuple[int, object]],
    warehouse_code: str,
    ttl: timedelta,
    db: BaseDatabaseWrapper,
) -> Reservation:
    """PostgreSQL: an owner's first reservation of remembered items is one statement
    (`_reserve_first`); otherwise, or when that statement declines, read, judge, then one statement
    (basket.py), and read again and retry when the statement found the world changed since the read
    (its outcome says how), at most 3 times."""
    first = _reserve_first(owner_type, owner_id, lines, warehouse_code, ttl, db)
    if first is not None:
        return first
    released_expired = False
    attempts = 0
    while attempts < 3:
        variant_ids = sorted({variant_id for variant_id, _ in lines})
        read = basket.read_basket(
            owner_type=owner_type, owner_id=owner_id, warehouse_code=warehouse_code, variant_ids=variant_ids
        )
        first_reservation.remember(read, warehouse_code, variant_ids)
        if read.warehouse_id is None or not read.warehouse_active:
            active_warehouse(warehouse_code)  # raises the reason
        wanted = _wanted(lines, read.variants)
        unknown = [Shortage(v, read.variants[v].sku, q, levels.ZERO) for v, q in wanted.items() if v not in read.items]
        if unknown:
            raise OutOfStock(unknown)
        held = {line.item.id: line.quantity for line in read.old.lines} if read.old is not None else {}
        short = levels.shortages_in(wanted, read.items, read.levels, held)
        if short:
            # Expired reservations only matter when stock is short, so that is when they are
            # released first (they stop counting at once); then read again.
            if released_expired:
                raise OutOfStock(short)
            release_expired_reservations(item_ids=[item.id for item in read.items.values()])
            released_expired = True
            continue
        attempts += 1
        reservation = _write_basket(owner_type, owner_id, read, wanted, ttl)
        if reservation is not None:
            return reservation
    raise ReservationBusy()


def _reserve_first(
    owner_type: str,
    owner_id: str,
    lines: Sequence[tuple[int, object]],
    warehouse_code: str,
    ttl: timedelta,
    db: BaseDatabaseWrapper,
) -> Reservation | None:
    """The reservation in one statement when this process remembers every item (first_reservation.py), or
    None when it does not or the statement declined (nothing was written): the caller then takes
    the two-step path, which reads and so judges and refuses on fresh facts."""
    facts = first_reservation.known(warehouse_code, {variant_id for variant_id, _ in lines}, db)
    if facts is None:
        return None
    try:
        wanted = _wanted(lines, {variant_id: variant for variant_id, (variant, _) in facts.items()})
    except InvalidInput:
        return None  # refused on remembered facts: the two-step path refuses on fresh ones
    chosen = sorted(((facts[v][0], facts[v][1], q) for v, q in wanted.items()), key=lambda line: line[1].id)
    now = timezone.now()
    expires_at = now + ttl
    payload = reserved_payload(0, owner_type, owner_id, expires_at, [(item, qty) for _, item, qty in chosen])
    payload.ClearField("reservation_id")  # the statement writes the id it draws into the event
    event = prepare_keyed_event(inventory_reserved, payload=payload)
    if not event.fits:
        return None
    _outcome, new_id = first_reservation.reserve_first(
        owner_type=owner_type,
        owner_id=owner_id,
        warehouse_code=warehouse_code,
        lines=chosen,
        expires_at=expires_at,
        now=now,
        event=event,
        db=db,
    )
    if new_id is None:
        return None
    levels.changed((item for _, item, _ in chosen), db)
    logger.debug("inventory: reserved %s for %s:%s until %s", new_id, owner_type, owner_id, expires_at)
    return _active_reservation(new_id, owner_type, owner_id, chosen[0][1].warehouse_id, expires_at, now)


def _active_reservation(
    reservation_id: int, owner_type: str, owner_id: str, warehouse_id: int, expires_at: datetime, now: datetime
) -> Reservation:
    """The Reservation just written, without reading it back: built as `Model.from_db` builds a read
    row (the fields' values, then `_state` not adding, on `connection`'s alias), filled in directly
    when no model has pre_init or post_init receivers, which is all `Model.__init__` adds here
    (8.8 against 1.7 µs; every field is a plain value, the foreign key's descriptor only records it)."""
    values = (reservation_id, owner_type, owner_id, warehouse_id, ReservationState.ACTIVE, expires_at, "", now, None)
    if signals.pre_init.receivers or signals.post_init.receivers:
        return Reservation.from_db(DEFAULT_DB_ALIAS, _RESERVATION_FIELDS, values)
    reservation = Reservation.__new__(Reservation)
    reservation._state = state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    reservation.__dict__.update(zip(_RESERVATION_FIELDS, values, strict=True))
    return reservation


_RESERVATION_FIELDS = [field.attname for field in Reservation._meta.concrete_fields]
assert _RESERVATION_FIELDS == [
    "id",
    "owner_type",
    "owner_id",
    "warehouse_id",
    "state",
    "expires_at",
    "end_reason",
    "created_at",
    "ended_at",
], _RESERVATION_FIELDS


def _write_basket(
    owner_type: str, owner_id: str, read: basket.BasketRead, wanted: dict[int, Decimal], ttl: timedelta
) -> Reservation | None:
    """The reservation, or None when the statement found things changed since the read."""
    now = timezone.now()
    expires_at = now + ttl
    assert read.warehouse_id is not None
    new_lines = {read.items[v].id: q for v, q in wanted.items()}
    refs = {item.id: item for item in read.items.values()}
    events: list[PreparedEvent] = []
    old_state, old_reason = "", ""
    if read.old is not None:
        old_state, old_reason = basket.old_end_state(read.old, now)
        refs |= {line.item.id: line.item for line in read.old.lines}
        held = ((line.item, line.quantity) for line in read.old.lines)
        released = released_payload(read.old.id, owner_type, owner_id, old_reason, held)
        events.append(prepare_event(inventory_released, aggregate_id=str(read.old.id), payload=released))
    ordered = sorted(new_lines)
    reserved = reserved_payload(
        read.new_id, owner_type, owner_id, expires_at, [(refs[item_id], new_lines[item_id]) for item_id in ordered]
    )
    events.append(prepare_event(inventory_reserved, aggregate_id=str(read.new_id), payload=reserved))

    def write(*, allow_crossing: bool) -> basket.BasketWrite:
        return basket.write_basket(
            read,
            owner_type=owner_type,
            owner_id=owner_id,
            lines=new_lines,
            expires_at=expires_at,
            now=now,
            old_state=old_state,
            old_reason=old_reason,
            events=events,
            allow_crossing=allow_crossing,
        )

    written = write(allow_crossing=False)
    if written.outcome == "low":
        # This reservation takes an item to its low-stock threshold: the event needs the figures
        # the statement finds, so the statement and the event share a transaction (no savepoint:
        # nothing in it is expected to fail).
        with transaction.atomic(savepoint=False):
            written = write(allow_crossing=True)
            for crossing in written.crossings:
                levels.check_low_stock(
                    refs[crossing.item_id],
                    available_before=crossing.available_before,
                    available_after=crossing.available_after,
                    threshold=crossing.threshold,
                )
    if written.outcome != "ok":
        return None
    levels.changed(refs.values())
    # DEBUG, not INFO: a line per reservation (hundreds a second on a rush) costs more than it
    # tells; the inventory.reserved event and the ledger record every reservation anyway.
    logger.debug("inventory: reserved %s for %s:%s until %s", read.new_id, owner_type, owner_id, expires_at)
    return _active_reservation(read.new_id, owner_type, owner_id, read.warehouse_id, expires_at, now)
