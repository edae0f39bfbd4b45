"""An owner's first reservation of items this process has read before, in one statement
(docs/decisions/0074-first-reservation-in-one-statement.md).

Each process remembers, from the two-step path's read (basket.py), what reserving needs of a
variant in a warehouse (`remember`, `known`). `reserve_first` then re-checks every remembered
fact and writes the reservation, its lines, the ledger, the stock counters and the outbox row (the
event's reservation id spliced into its envelope); when it declines, nothing is written and
the two-step path decides on a fresh read. Inside a transaction it locks the items by id first;
outside one it locks them last, after the writes, and undoes them all when a line no longer fits
(docs/decisions/0078-first-reservation-locks-last.md); a single item outside a transaction takes a
smaller plan of the same statement (docs/decisions/0082-reservation-cpu-per-call.md). The
statement's text is built in first_reservation_sql.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.numeric import Int8

from core.db.statements import run_statement
from events.bridge import array_literal, notify_needed, outbox_written
from events.keyed import KeyedEvent, keyed_event_params, keyed_event_params_for
from inventory.models import MovementReason
from inventory.services.basket import BasketRead, VariantFacts, numbers
from inventory.services.first_reservation_sql import first_sql
from inventory.services.levels import ItemRef

_FACTS_LIMIT = 10_000
# The SQLSTATE of `inventory.first_reservation_undone` (migration 0007).
UNDONE = "IR001"
# A lock-last statement's reservation INSERT found the owner's active reservation written by a
# concurrent statement (a unique violation on this index): rolled back, nothing written.
UNIQUE_VIOLATION = "23505"
OWNER_TAKEN = "inventory_one_active_reservation_per_owner"
_facts: dict[tuple[str, str, int], tuple[VariantFacts, ItemRef]] = {}
# The lock-last forms expect a reservation id as long as the last one this process saw
# (first_reservation_sql.py says why).
_digits = 1


def learn_id_length(reservation_id: int) -> None:
    """The next lock-last statement expects an id as long as this one."""
    global _digits
    _digits = len(str(reservation_id))


def _database(db: BaseDatabaseWrapper | None = None) -> str:
    return str((connections["default"] if db is None else db).settings_dict["NAME"])


def remember(read: BasketRead, warehouse_code: str, variant_ids: Iterable[int]) -> None:
    """Keep what this read found of the variants (read for `variant_ids`) that can be reserved in
    the warehouse; forget the others."""
    if len(_facts) > _FACTS_LIMIT:
        _facts.clear()
    learn_id_length(read.new_id)  # the id this read drew: the next ones are as long or longer
    database = _database()
    for variant_id in variant_ids:
        item, variant = read.items.get(variant_id), read.variants.get(variant_id)
        if read.warehouse_active and item is not None and variant is not None and variant.is_active:
            _facts[(database, warehouse_code, variant_id)] = (variant, item)
        else:
            _facts.pop((database, warehouse_code, variant_id), None)


def known(
    warehouse_code: str, variant_ids: Iterable[int], db: BaseDatabaseWrapper | None = None
) -> dict[int, tuple[VariantFacts, ItemRef]] | None:
    """The remembered facts of every one of these variants in the warehouse, or None (`db`: the
    default database's connection, when the caller has it)."""
    database = _database(db)
    found = {}
    for variant_id in variant_ids:
        facts = _facts.get((database, warehouse_code, variant_id))
        if facts is None:
            return None
        found[variant_id] = facts
    return found


def reserve_first(
    *,
    owner_type: str,
    owner_id: str,
    warehouse_code: str,
    lines: list[tuple[VariantFacts, ItemRef, Decimal]],  # in stock item id order, one per item
    expires_at: datetime,
    now: datetime,
    event: KeyedEvent,
    db: BaseDatabaseWrapper | None = None,
) -> tuple[str, int | None]:
    """(outcome, the new reservation's id): `ok` (written, with its ledger and its event), or
    nothing written and why: `replace` (the owner has an active reservation), `declined` (a line
    is short or a remembered fact changed), `low` (a line crosses its low-stock threshold: the
    event needs the transaction of the two-step path) or `conflict` (a concurrent first
    reservation of the same owner got in first). `db`: the default database's connection, when the
    caller has it (each lookup of it costs a few µs, and a reservation made ten)."""
    if db is None:
        db = connections["default"]
    lock_last = not db.in_atomic_block  # its refusal is an error, which would end a transaction
    several = len(lines) > 1
    params: dict[str, Any] = {
        "warehouse_id": Int8(lines[0][1].warehouse_id),
        "code": warehouse_code,
        "owner_type": owner_type,
        "owner_id": owner_id,
        "expires_at": expires_at,
        "now": now,
        "reason": MovementReason.RESERVATION.value,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_type": event.aggregate_type,
        "occurred_at": event.occurred_at,
    }
    if lock_last:
        params |= keyed_event_params_for(event, "e", _digits)
    else:
        params |= keyed_event_params(event, "e")
    if lock_last and not several:  # _ONE: the line's facts as plain parameters
        [(variant, item, qty)] = lines
        params |= {
            "item": Int8(item.id),
            "variant": Int8(variant.id),
            "sku": variant.sku,
            "unit": variant.unit,
            "step": variant.step,
            "quantity": qty,
        }
    else:
        params |= {
            "items": numbers(item.id for _, item, _ in lines),
            "variants": numbers(variant.id for variant, _, _ in lines),
            "skus": array_literal(variant.sku for variant, _, _ in lines),
            "units": array_literal(variant.unit for variant, _, _ in lines),
            "steps": numbers(variant.step for variant, _, _ in lines),
            "quantities": numbers(qty for _, _, qty in lines),
            "lines": Int8(len(lines)),
        }
    notify = notify_needed(db)
    try:
        cursor = run_statement(first_sql(notify, lock_last, several), params, db)
    except DatabaseError as exc:
        if lock_last and getattr(exc.__cause__, "sqlstate", None) == UNDONE:
            return "declined", None  # rolled back: nothing was written
        if lock_last and _owner_taken(exc):
            return "conflict", None  # rolled back: nothing was written
        raise
    outcome, new_id = cursor.fetchone()[:2]
    if outcome == "ok" and new_id is None:
        return "conflict", None
    if outcome == "ok":
        learn_id_length(new_id)
        outbox_written(notified=notify, db=db)
    return outcome, new_id


def _owner_taken(exc: DatabaseError) -> bool:
    """Whether the statement failed because a concurrent first reservation of the same owner
    committed its reservation first (the lock-last forms' INSERT has no ON CONFLICT)."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    taken = getattr(diag, "constraint_name", None) == OWNER_TAKEN
    return getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION and taken
