"""Reserving a basket on PostgreSQL in two round trips: one read, then one statement that writes
(an owner's first reservation of items read before: one statement, first_reservation.py).

The read (`read_basket`) is a plain SELECT: the warehouse, the variants with their stock items and
levels, the owner's active reservation with its lines, and a reservation id from the sequence (so
the events can be built before the write). The write (`write_basket`) is one statement of
data-modifying CTEs that, in the app's one lock order (the owner's reservation row, then the stock
items by id),

1. locks the owner's current reservation, if it is still the one read (same id, owner, expiry);
2. locks every stock item the basket moves, by id, and judges them: all lines available, or none
   moves (`short`); a line that would cross its low-stock threshold stops the fast path (`low`:
   the caller writes again inside a transaction, where the low_stock event can follow the figures);
3. ends the old reservation (expired or replaced), inserts the new one (ON CONFLICT DO NOTHING:
   a concurrent first reservation of the same owner makes it `conflict`), its lines, the ledger
   movements (release of the old lines, reservation of the new) and the outbox rows, and moves
   the counters by the net delta per item; each part runs only if the previous one did.

Outside a transaction the statement is a transaction of its own: all of it or none of it, with no
BEGIN, COMMIT or savepoint round trips, and nothing raises on the expected refusals (they are
outcomes), so it also runs inside a caller's transaction without a savepoint. The CHECK
constraints still forbid negative levels should a bug get past the judgement.

Both statements go through `core.db.statements.statement_cursor()`: their parameters are bound
on the server (the SQL text is the same every call, and no value is quoted into it in Python)
and, unless DATABASE_PREPARED_STATEMENTS is off (config/settings.py), each is prepared once per
connection, so PostgreSQL neither parses nor plans them again on every call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache

from psycopg.types.numeric import Int8

from core.db.statements import statement_cursor
from core.quantities import as_quantity
from events.bridge import (
    PreparedEvent,
    array_literal,
    notify_needed,
    notify_sql,
    outbox_insert_sql,
    outbox_written,
)
from inventory.models import MovementReason, ReservationState
from inventory.services.levels import ItemRef, Levels


@dataclass(frozen=True)
class VariantFacts:
    """What reserving checks of a variant."""

    id: int
    sku: str
    unit: str
    step: Decimal
    is_active: bool


@dataclass(frozen=True)
class HeldLine:
    item: ItemRef
    quantity: Decimal


@dataclass(frozen=True)
class OwnerReservation:
    """The owner's active reservation as read: replaced (or expired) by the next one."""

    id: int
    expires_at: datetime
    lines: list[HeldLine]


@dataclass
class BasketRead:
    warehouse_id: int | None
    warehouse_active: bool
    variants: dict[int, VariantFacts] = field(default_factory=dict)
    items: dict[int, ItemRef] = field(default_factory=dict)  # by variant id, in this warehouse
    levels: dict[int, Levels] = field(default_factory=dict)  # by stock item id
    old: OwnerReservation | None = None
    new_id: int = 0


# `l.quantity::numeric`: an array of a column's domain (migration 0013) would reach psycopg as a type
# it does not know, so the quantities are aggregated as numeric.
_READ = """
WITH warehouse AS MATERIALIZED (SELECT id, code, is_active FROM inventory_warehouse WHERE code = %(code)s),
new_id AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('inventory_reservation', 'id')) AS id),
owner AS MATERIALIZED (
    SELECT r.id, r.expires_at,
           array_agg(l.stock_item_id ORDER BY l.stock_item_id) AS item_ids,
           array_agg(l.quantity::numeric ORDER BY l.stock_item_id) AS quantities,
           array_agg(s.warehouse_id ORDER BY l.stock_item_id) AS warehouse_ids,
           array_agg(w.code ORDER BY l.stock_item_id) AS warehouse_codes,
           array_agg(v.id ORDER BY l.stock_item_id) AS variant_ids,
           array_agg(v.sku ORDER BY l.stock_item_id) AS skus,
           array_agg(v.unit ORDER BY l.stock_item_id) AS units
    FROM inventory_reservation r
    JOIN inventory_reservationline l ON l.reservation_id = r.id
    JOIN inventory_stockitem s ON s.id = l.stock_item_id
    JOIN inventory_warehouse w ON w.id = s.warehouse_id
    JOIN catalog_variant v ON v.id = s.variant_id
    WHERE r.owner_type = %(owner_type)s AND r.owner_id = %(owner_id)s AND r.state = 'active'
    GROUP BY r.id
)
SELECT (SELECT id FROM new_id), w.id, w.code, w.is_active,
       v.id, v.sku, v.unit, v.step, v.is_active,
       s.id, s.on_hand, s.reserved, s.low_stock_threshold, s.version,
       o.id, o.expires_at, o.item_ids, o.quantities, o.warehouse_ids, o.warehouse_codes, o.variant_ids, o.skus, o.units
FROM unnest(%(variant_ids)s::bigint[]) AS wanted(id)
LEFT JOIN warehouse w ON TRUE
LEFT JOIN catalog_variant v ON v.id = wanted.id
LEFT JOIN inventory_stockitem s ON s.variant_id = v.id AND s.warehouse_id = w.id
LEFT JOIN owner o ON TRUE
"""


_READ = " ".join(_READ.split())  # short enough for psycopg's cache of parsed queries (4 KiB)


def numbers(values: Iterable[int | Decimal]) -> str:
    """Ids or quantities as PostgreSQL's array literal, which the statement casts
    (`%(name)s::bigint[]`). A list would have psycopg inspect it and its elements on every call to
    choose a type, and choose by the size of the numbers (smallint[], integer[], bigint[]), each
    choice another prepared statement; ids go as Int8 for the same reason."""
    return "{" + ",".join(map(str, values)) + "}"


def read_basket(*, owner_type: str, owner_id: str, warehouse_code: str, variant_ids: list[int]) -> BasketRead:
    """Everything reserving needs to know first, in one plain SELECT (no lock)."""
    cursor = statement_cursor()
    cursor.execute(
        _READ,
        {"code": warehouse_code, "owner_type": owner_type, "owner_id": owner_id, "variant_ids": numbers(variant_ids)},
    )
    rows = cursor.fetchall()
    first = rows[0]
    read = BasketRead(warehouse_id=first[1], warehouse_active=bool(first[3]), new_id=int(first[0]))
    for row in rows:
        (_, w_id, w_code, _, v_id, sku, unit, step, v_active, s_id, on_hand, reserved, threshold, version) = row[:14]
        if v_id is None:
            continue
        read.variants[v_id] = VariantFacts(v_id, sku, unit, as_quantity(step), bool(v_active))
        if s_id is not None:
            read.items[v_id] = ItemRef(s_id, w_id, w_code, v_id, sku, unit)
            read.levels[s_id] = Levels(as_quantity(on_hand), as_quantity(reserved), as_quantity(threshold), version)
    if first[14] is not None:
        o_id, o_expires, item_ids, quantities, warehouse_ids, codes, o_variants, skus, units = first[14:]
        read.old = OwnerReservation(
            o_id,
            o_expires,
            [
                HeldLine(ItemRef(item_ids[n], warehouse_ids[n], codes[n], o_variants[n], skus[n], units[n]), qty)
                for n, qty in enumerate(as_quantity(q) for q in quantities)
            ],
        )
    return read


_WRITE = """
WITH
old_row AS MATERIALIZED (
    SELECT id FROM inventory_reservation
    WHERE id = %(old_id)s AND state = 'active' AND owner_type = %(owner_type)s AND owner_id = %(owner_id)s
      AND expires_at = %(old_expires_at)s
    FOR UPDATE
),
delta AS MATERIALIZED (
    SELECT * FROM unnest(%(delta_items)s::bigint[], %(deltas)s::numeric[]) AS d(item_id, delta)
),
locked AS MATERIALIZED (
    SELECT s.id, s.on_hand - s.reserved AS available, s.low_stock_threshold AS threshold
    FROM inventory_stockitem s
    WHERE s.id = ANY(%(delta_items)s::bigint[])
      AND (%(old_id)s::bigint IS NULL OR EXISTS (SELECT 1 FROM old_row))
    ORDER BY s.id
    FOR UPDATE
),
verdict AS MATERIALIZED (
    SELECT CASE
        WHEN %(old_id)s::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM old_row) THEN 'moved'
        WHEN (SELECT count(*) FROM locked) < cardinality(%(delta_items)s::bigint[]) THEN 'missing'
        WHEN EXISTS (
            SELECT 1 FROM locked l JOIN delta d ON d.item_id = l.id WHERE d.delta > 0 AND l.available < d.delta
        ) THEN 'short'
        WHEN NOT %(allow_crossing)s AND EXISTS (
            SELECT 1 FROM locked l JOIN delta d ON d.item_id = l.id
            WHERE d.delta > 0 AND l.available - d.delta <= l.threshold AND l.threshold < l.available
        ) THEN 'low'
        ELSE 'ok'
    END AS outcome
),
old_end AS (
    UPDATE inventory_reservation SET state = %(old_state)s, end_reason = %(old_reason)s, ended_at = %(now)s
    WHERE id IN (SELECT id FROM old_row) AND (SELECT outcome FROM verdict) = 'ok'
    RETURNING id
),
new_row AS (
    INSERT INTO inventory_reservation
        (id, owner_type, owner_id, warehouse_id, state, expires_at, end_reason, created_at, ended_at)
    SELECT %(new_id)s, %(owner_type)s, %(owner_id)s, %(warehouse_id)s, 'active', %(expires_at)s, '', %(now)s, NULL
    WHERE (SELECT outcome FROM verdict) = 'ok'
      AND (%(old_id)s::bigint IS NULL OR EXISTS (SELECT 1 FROM old_end))
    ON CONFLICT (owner_type, owner_id) WHERE state = 'active' DO NOTHING
    RETURNING id
),
new_lines AS (
    INSERT INTO inventory_reservationline (reservation_id, stock_item_id, quantity)
    SELECT %(new_id)s, l.item_id, l.quantity
    FROM unnest(%(line_items)s::bigint[], %(line_quantities)s::numeric[]) AS l(item_id, quantity)
    WHERE EXISTS (SELECT 1 FROM new_row)
),
ledger AS (
    INSERT INTO inventory_stockmovement
        (stock_item_id, on_hand_delta, reserved_delta, reason, reference, note, actor_id, created_at)
    SELECT m.item_id, 0, m.delta, m.reason, m.reference, '', NULL, %(now)s
    FROM unnest(%(ledger_items)s::bigint[], %(ledger_deltas)s::numeric[], %(ledger_reasons)s::text[],
                %(ledger_references)s::text[]) WITH ORDINALITY AS m(item_id, delta, reason, reference, n)
    WHERE EXISTS (SELECT 1 FROM new_row)
    ORDER BY m.n
),
moved AS (
    UPDATE inventory_stockitem s SET reserved = s.reserved + d.delta, updated_at = %(now)s
    FROM delta d
    WHERE s.id = d.item_id AND d.delta <> 0 AND EXISTS (SELECT 1 FROM new_row)
    RETURNING s.id, s.on_hand - s.reserved AS available, s.low_stock_threshold AS threshold, d.delta
),
outbox AS ({outbox})
SELECT (SELECT outcome FROM verdict),
       EXISTS (SELECT 1 FROM new_row),
       (SELECT array_agg(ARRAY[m.id, m.available + m.delta, m.available, m.threshold] ORDER BY m.id)
        FROM moved m WHERE m.delta > 0 AND m.available <= m.threshold AND m.threshold < m.available + m.delta),
       {notify}
"""


_WRITE = " ".join(_WRITE.split())


@cache
def _write_sql(outbox: str, notify: bool) -> str:
    """The statement's text for this outbox part (the same text every call: prepared once)."""
    return _WRITE.format(outbox=outbox, notify=notify_sql("outbox") if notify else "NULL")


@dataclass(frozen=True)
class Crossing:
    """A stock item whose availability this reservation took down to or below its threshold."""

    item_id: int
    available_before: Decimal
    available_after: Decimal
    threshold: Decimal


@dataclass(frozen=True)
class BasketWrite:
    outcome: str  # ok, moved, missing, short, low, conflict
    crossings: list[Crossing]


def write_basket(
    read: BasketRead,
    *,
    owner_type: str,
    owner_id: str,
    lines: dict[int, Decimal],  # stock item id -> quantity
    expires_at: datetime,
    now: datetime,
    old_state: str,
    old_reason: str,
    events: list[PreparedEvent],
    allow_crossing: bool,
) -> BasketWrite:
    """The one statement; see the module's docstring. `events` are written iff the rest is."""
    assert read.warehouse_id is not None  # the caller refused a missing warehouse
    old = read.old
    deltas: dict[int, Decimal] = dict(lines)
    ledger: list[tuple[int, Decimal, str, str]] = []
    if old is not None:
        for line in old.lines:
            deltas[line.item.id] = deltas.get(line.item.id, Decimal(0)) - line.quantity
            ledger.append(
                (line.item.id, -line.quantity, MovementReason.RELEASE, f"reservation:{old.id} {old_reason}"[:200])
            )
    reference = f"reservation:{read.new_id}"
    ledger += [(item_id, qty, MovementReason.RESERVATION, reference) for item_id, qty in lines.items()]
    delta_items = sorted(deltas)  # the one lock order: stock item id
    outbox, params = outbox_insert_sql(events, when="EXISTS (SELECT 1 FROM new_row)")
    notify = notify_needed()
    params |= {
        "old_id": Int8(old.id) if old is not None else None,
        "old_expires_at": old.expires_at if old is not None else None,
        "old_state": old_state,
        "old_reason": old_reason[:40],
        "owner_type": owner_type,
        "owner_id": owner_id,
        "warehouse_id": Int8(read.warehouse_id),
        "new_id": Int8(read.new_id),
        "expires_at": expires_at,
        "now": now,
        "delta_items": numbers(delta_items),
        "deltas": numbers(deltas[item_id] for item_id in delta_items),
        "allow_crossing": allow_crossing,
        "line_items": numbers(sorted(lines)),
        "line_quantities": numbers(lines[item_id] for item_id in sorted(lines)),
        "ledger_items": numbers(entry[0] for entry in ledger),
        "ledger_deltas": numbers(entry[1] for entry in ledger),
        "ledger_reasons": array_literal(str(entry[2]) for entry in ledger),
        "ledger_references": array_literal(entry[3] for entry in ledger),
    }
    sql = _write_sql(outbox, notify)
    cursor = statement_cursor()
    cursor.execute(sql, params)
    outcome, created, crossed, _ = cursor.fetchone()
    if outcome == "ok" and not created:
        outcome = "conflict"  # another first reservation of this owner got in first
    if outcome != "ok":
        return BasketWrite(outcome, [])
    outbox_written(notified=notify)
    crossings = [
        Crossing(int(row[0]), as_quantity(row[1]), as_quantity(row[2]), as_quantity(row[3])) for row in crossed or []
    ]
    return BasketWrite(outcome, crossings)


def old_end_state(old: OwnerReservation, now: datetime) -> tuple[str, str]:
    """How the owner's previous reservation ends when a new one replaces it."""
    if old.expires_at <= now:
        return ReservationState.EXPIRED, "expired"
    return ReservationState.RELEASED, "replaced"


# The first reservation of an owner in one statement -------------------------------------------
#
# What reserving reads of a variant and its stock item in a warehouse hardly ever changes (the ids,
# the SKU, the unit and step), so each process remembers it from the reads above, and the first
# reservation of an owner is then a single statement (`reserve_first`) instead of a read and a
# write. The statement re-checks every remembered fact as it locks the items (a changed or
# deactivated variant, item or warehouse makes it decline), and it refuses, without taking a lock,
# an owner that holds an active reservation (replacing one needs the read) and lines the committed
# levels cannot serve. Whenever it declines nothing is written and the caller takes the two-step
# path, whose read judges on fresh facts and refreshes what is remembered.
