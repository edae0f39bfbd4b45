"""The ledger's promise, checked: for every stock item, the movements add up to its counters.

A drift means something changed a counter without writing the ledger (a hand-made UPDATE, a bug,
a restored backup of one table). The check is one statement, so it reads one consistent snapshot
even while stock moves.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from core.quantities import as_quantity
from inventory.models import StockItem

logger = logging.getLogger(__name__)

# One aggregate over the levels and the movements side by side: a single pass over each table,
# linear whatever the planner believes about their sizes (a join against a grouped subquery can
# turn into a nested loop when statistics are stale, e.g. right after a big import).
_DRIFT = """
SELECT stock_item_id, SUM(on_hand), SUM(ledger_on_hand), SUM(reserved), SUM(ledger_reserved)
FROM (
    SELECT id AS stock_item_id, on_hand, 0 AS ledger_on_hand, reserved, 0 AS ledger_reserved
    FROM inventory_stockitem {items_where}
    UNION ALL
    SELECT stock_item_id, 0, on_hand_delta, 0, reserved_delta
    FROM inventory_stockmovement {movements_where}
) AS side_by_side
GROUP BY stock_item_id
HAVING SUM(on_hand) <> SUM(ledger_on_hand) OR SUM(reserved) <> SUM(ledger_reserved)
ORDER BY stock_item_id
"""


@dataclass(frozen=True)
class Drift:
    stock_item_id: int
    warehouse_code: str
    sku: str
    on_hand: Decimal
    ledger_on_hand: Decimal
    reserved: Decimal
    ledger_reserved: Decimal

    def describe(self) -> str:
        return (f"stock item {self.stock_item_id} ({self.sku} at {self.warehouse_code}): on_hand {self.on_hand} but "
                f"ledger {self.ledger_on_hand}; reserved {self.reserved} but ledger {self.ledger_reserved}")


def find_ledger_drift(warehouse_code: str | None = None) -> list[Drift]:
    """Every stock item whose counters differ from the sums of its movements; logs each one."""
    with connection.cursor() as cursor:
        if warehouse_code:
            items_of = ("(SELECT s.id FROM inventory_stockitem s JOIN inventory_warehouse w ON w.id = s.warehouse_id "
                        "WHERE w.code = %s)")
            cursor.execute(_DRIFT.format(items_where=f"WHERE id IN {items_of}",
                                         movements_where=f"WHERE stock_item_id IN {items_of}"),
                           [warehouse_code, warehouse_code])
        else:
            cursor.execute(_DRIFT.format(items_where="", movements_where=""))
        rows = cursor.fetchall()
    labels = {pk: (code, sku) for pk, code, sku in StockItem.objects.filter(pk__in=[row[0] for row in rows])
              .values_list("pk", "warehouse__code", "variant__sku")}
    drifts = [Drift(stock_item_id=row[0], warehouse_code=labels[row[0]][0], sku=labels[row[0]][1],
                    on_hand=as_quantity(row[1]), ledger_on_hand=as_quantity(row[2]), reserved=as_quantity(row[3]),
                    ledger_reserved=as_quantity(row[4])) for row in rows]
    for drift in drifts:
        logger.error("inventory: ledger drift: %s", drift.describe())
    if not drifts:
        logger.info("inventory: the stock ledger matches every stock level")
    return drifts
