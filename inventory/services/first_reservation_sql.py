"""The text of an owner's first reservation in one statement (first_reservation.py runs it): the
form inside a transaction, which locks the items by id first; the lock-last form outside one,
which writes first and undoes everything when a line no longer fits; and that form's smaller plan
for a single item (docs/decisions/0074, 0078 and 0082)."""

from __future__ import annotations

from functools import cache

from events.bridge import notify_sql
from events.keyed import keyed_payload_for_digits_sql, keyed_payload_sql

# The lock-last forms write the event serialized in Python for a reservation id of as many digits
# as the last one this process saw (first_reservation.learn_id_length); an id of another length
# (once per power of ten) undoes the statement like a short line, and the two-step path writes it
# and learns the new length.
# Inside a transaction, where an error would end the caller's transaction, the statement works the
# lengths out in SQL (keyed_payload_sql).
_WRONG_LENGTH = "octet_length((SELECT id FROM new_row)::text) <> %(e_digits)s::int OR "

# What both forms share: the basket's lines, whether the owner is free of an active reservation,
# the items as remembered (first_reservation.known) read again, and the writes (the reservation, its lines, its
# ledger rows and its event).
_INPUTS = """
wanted AS MATERIALIZED (
    SELECT * FROM unnest(%(items)s::bigint[], %(variants)s::bigint[], %(skus)s::text[], %(units)s::text[],
                         %(steps)s::numeric[], %(quantities)s::numeric[])
                  WITH ORDINALITY AS f(item_id, variant_id, sku, unit, step, quantity, n)
),
owner_free AS MATERIALIZED (
    SELECT NOT EXISTS (SELECT 1 FROM inventory_reservation WHERE owner_type = %(owner_type)s
                       AND owner_id = %(owner_id)s AND state = 'active') AS free
),
"""
_AS_REMEMBERED = """
    SELECT s.id, s.on_hand - s.reserved AS available, s.low_stock_threshold AS threshold, f.quantity
    FROM wanted f
    JOIN inventory_stockitem s ON s.id = f.item_id AND s.variant_id = f.variant_id AND s.warehouse_id = %(warehouse_id)s
    JOIN catalog_variant v ON v.id = f.variant_id AND v.is_active AND v.sku = f.sku AND v.unit = f.unit
                          AND v.step = f.step
    WHERE EXISTS (SELECT 1 FROM inventory_warehouse w
                  WHERE w.id = %(warehouse_id)s AND w.code = %(code)s AND w.is_active)
"""


def _writes(
    line_item: str, line_quantity: str, lines_from: str, ledger_order: str = "", *, on_conflict: bool = True
) -> str:
    """The writes every form shares: the reservation (only when the verdict is ok), its lines, their
    ledger rows and the event's outbox row, the lines' item and quantity as the form has them.
    `{payload}` and `{joins}` are left for `_first_sql`. `on_conflict`: a concurrent first
    reservation of the same owner makes the reservation's INSERT write nothing (inside a
    transaction, where an error would end the caller's transaction); without it the INSERT fails
    on the owner's unique index and the statement is rolled back (`OWNER_TAKEN`), which is what
    the lock-last forms do: a speculative insertion (ON CONFLICT) costs the backend a lock, a
    probe of the index the verdict has just probed, and a second write of the row."""
    conflict = "ON CONFLICT (owner_type, owner_id) WHERE state = 'active' DO NOTHING" if on_conflict else ""
    return f"""
new_row AS (
    INSERT INTO inventory_reservation
        (owner_type, owner_id, warehouse_id, state, expires_at, end_reason, created_at, ended_at)
    SELECT %(owner_type)s, %(owner_id)s, %(warehouse_id)s, 'active', %(expires_at)s, '', %(now)s, NULL
    WHERE (SELECT outcome FROM verdict) = 'ok'
    {conflict}
    RETURNING id
),
new_lines AS (
    INSERT INTO inventory_reservationline (reservation_id, stock_item_id, quantity)
    SELECT r.id, {line_item}, {line_quantity} FROM {lines_from}
    RETURNING 1
),
ledger AS (
    INSERT INTO inventory_stockmovement
        (stock_item_id, on_hand_delta, reserved_delta, reason, reference, note, actor_id, created_at)
    SELECT {line_item}, 0, {line_quantity}, %(reason)s, 'reservation:' || r.id, '', NULL, %(now)s
    FROM {lines_from}
    {ledger_order}
    RETURNING 1
),
outbox AS (
    INSERT INTO events_outboxevent
        (event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at, publish_attempts, last_error)
    SELECT %(event_id)s, %(event_type)s, %(aggregate_type)s, r.id::text, {{payload}}, %(occurred_at)s, 0, ''
    FROM new_row r {{joins}}
    RETURNING id
),
"""  # noqa: S608  (this module's constant fragments, no input)


# A basket's lines come from `wanted` (the unnested arrays), its ledger rows in line order.
_WRITES = _writes("f.item_id", "f.quantity", "new_row r, wanted f", "ORDER BY f.n")
_WRITES_LOCK_LAST = _writes("f.item_id", "f.quantity", "new_row r, wanted f", "ORDER BY f.n", on_conflict=False)

# Inside a transaction: the items are locked first, in id order, and every fact re-checked under
# the lock before anything is written.
_FIRST = (
    "WITH"  # noqa: S608  (this module's constant fragments, no input)
    + _INPUTS
    + "locked AS MATERIALIZED ("
    + _AS_REMEMBERED
    + """
      AND s.on_hand - s.reserved >= f.quantity AND (SELECT free FROM owner_free)
    ORDER BY s.id
    FOR UPDATE OF s
),
verdict AS MATERIALIZED (
    SELECT CASE
        WHEN NOT (SELECT free FROM owner_free) THEN 'replace'
        WHEN (SELECT count(*) FROM locked) < cardinality(%(items)s::bigint[]) THEN 'declined'
        WHEN EXISTS (SELECT 1 FROM locked WHERE available - quantity <= threshold AND threshold < available) THEN 'low'
        ELSE 'ok'
    END AS outcome
),
"""
    + _WRITES
    + """
moved AS (
    UPDATE inventory_stockitem s SET reserved = s.reserved + l.quantity, updated_at = %(now)s
    FROM locked l
    WHERE s.id = l.id AND EXISTS (SELECT 1 FROM new_row)
)
SELECT (SELECT outcome FROM verdict), (SELECT id FROM new_row), {notify}
"""
)
_FIRST = " ".join(_FIRST.split())

# Outside a transaction the statement takes the items' row locks last (decision 0078): a hot
# item's lock is then held from its UPDATE to the commit, not while the reservation, its lines,
# its ledger and its event are written. PostgreSQL runs a data-modifying CTE when it is first read,
# and the final SELECT reads them in this order (test_first_reservation_lock_last.py proves the
# lock comes after the writes). The facts are re-checked first without a lock, on the statement's
# snapshot (they are not locked in _FIRST either). A basket of several items locks them by id
# (`locked`) before the UPDATE; one item is locked by the UPDATE itself, which re-checks the row on
# its latest version when it had to wait, as the raw conditional UPDATE does: one re-check, and the
# CHECK constraints compiled before the lock. The UPDATE moves only the lines that fit (available,
# no low-stock crossing); when one does not, `first_reservation_undone()` raises: everything the
# statement wrote is rolled back and the two-step path decides on a fresh read.
_LOCK_LAST = (
    "WITH"  # noqa: S608  (this module's constant fragments, no input)
    + _INPUTS
    + "seen AS MATERIALIZED ("
    + _AS_REMEMBERED
    + """
),
verdict AS MATERIALIZED (
    SELECT CASE
        WHEN NOT (SELECT free FROM owner_free) THEN 'replace'
        WHEN (SELECT count(*) FROM seen WHERE {fits}) < %(lines)s THEN 'declined'
        ELSE 'ok'
    END AS outcome
),
"""
    + _WRITES_LOCK_LAST
    + """
{locked}moved AS (
    UPDATE inventory_stockitem s SET reserved = s.reserved + f.quantity, updated_at = %(now)s
    FROM wanted f
    WHERE s.id = f.item_id AND EXISTS (SELECT 1 FROM new_row) AND s.on_hand - s.reserved >= f.quantity
      AND NOT (s.on_hand - s.reserved - f.quantity <= s.low_stock_threshold
               AND s.low_stock_threshold < s.on_hand - s.reserved)
    RETURNING s.id
)
SELECT (SELECT outcome FROM verdict), (SELECT id FROM new_row),
       (SELECT count(*) FROM new_lines) + (SELECT count(*) FROM ledger), {notify},{read_locked}
       CASE WHEN (SELECT id FROM new_row) IS NOT NULL AND ({wrong_length}(SELECT count(*) FROM moved) < %(lines)s)
            THEN first_reservation_undone() END
"""
)
_LOCK_LAST = " ".join(_LOCK_LAST.split())
# A basket of several items locks them in id order before its UPDATE (the final SELECT reads it
# first); a single item is locked by the UPDATE, and a plan without this CTE starts faster.
_LOCKED = (
    "locked AS MATERIALIZED (SELECT s.id FROM inventory_stockitem s WHERE s.id = ANY(%(items)s::bigint[]) "
    "AND EXISTS (SELECT 1 FROM new_row) ORDER BY s.id FOR UPDATE),"
)
# Outside a transaction, one item (the common case: a cart's first line, a quick order): the same
# statement as _LOCK_LAST with the line's facts as plain parameters instead of arrays unnested into
# a CTE that five scans read again, and the owner's check and the item's re-check folded into
# `verdict`. PostgreSQL builds and tears down every node of a statement on every execution (a fifth
# of the backend's CPU per reservation in `perf`); fewer nodes here took about 5 % off the backend.
_ONE = (
    "WITH"  # noqa: S608  (this module's constant fragments, no input)
    + """
verdict AS MATERIALIZED (
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM inventory_reservation WHERE owner_type = %(owner_type)s
                     AND owner_id = %(owner_id)s AND state = 'active') THEN 'replace'
        WHEN NOT EXISTS (
            SELECT 1 FROM inventory_stockitem s
            JOIN catalog_variant v ON v.id = s.variant_id AND v.is_active AND v.sku = %(sku)s::text
                                  AND v.unit = %(unit)s::text AND v.step = %(step)s::numeric
            JOIN inventory_warehouse w ON w.id = s.warehouse_id AND w.code = %(code)s AND w.is_active
            WHERE s.id = %(item)s AND s.variant_id = %(variant)s AND s.warehouse_id = %(warehouse_id)s
              AND {one_fits}) THEN 'declined'
        ELSE 'ok'
    END AS outcome
),
"""
    + _writes("%(item)s", "%(quantity)s::numeric", "new_row r", on_conflict=False)
    + """
moved AS (
    UPDATE inventory_stockitem s SET reserved = s.reserved + %(quantity)s::numeric, updated_at = %(now)s
    WHERE s.id = %(item)s AND EXISTS (SELECT 1 FROM new_row) AND {one_fits}
    RETURNING s.id
)
SELECT (SELECT outcome FROM verdict), (SELECT id FROM new_row),
       (SELECT count(*) FROM new_lines) + (SELECT count(*) FROM ledger), {notify},
       CASE WHEN (SELECT id FROM new_row) IS NOT NULL AND ({wrong_length}NOT EXISTS (SELECT FROM moved))
            THEN first_reservation_undone() END
"""
)
_ONE = " ".join(_ONE.split())
# The one item's line fits (as _FITS), on the row as the statement finds it.
_ONE_FITS = (
    "s.on_hand - s.reserved >= %(quantity)s::numeric AND NOT (s.on_hand - s.reserved - %(quantity)s::numeric "
    "<= s.low_stock_threshold AND s.low_stock_threshold < s.on_hand - s.reserved)"
)
# A line fits when its item has the quantity available and does not cross its low-stock threshold
# (the low-stock event needs the two-step path).
_FITS = "available >= quantity AND NOT (available - quantity <= threshold AND threshold < available)"


@cache
def first_sql(notify: bool, lock_last: bool, several: bool = True) -> str:
    """The statement of an owner's first reservation: inside a transaction (`lock_last` off) or
    outside one, for several items or one, with a NOTIFY of the outbox or without."""
    notify_expression = notify_sql("outbox") if notify else "NULL"
    if lock_last:
        joins, payload = "", keyed_payload_for_digits_sql("r.id::text", "e")
    else:
        joins, payload = keyed_payload_sql("r.id::text", "e")
    if lock_last and not several:
        return _ONE.format(
            joins=joins, payload=payload, notify=notify_expression, one_fits=_ONE_FITS, wrong_length=_WRONG_LENGTH
        )
    sql = _LOCK_LAST if lock_last else _FIRST
    return sql.format(
        joins=joins,
        payload=payload,
        notify=notify_expression,
        fits=_FITS,
        locked=_LOCKED if several else "",
        read_locked=" (SELECT count(*) FROM locked)," if several else "",
        wrong_length=_WRONG_LENGTH,
    )
