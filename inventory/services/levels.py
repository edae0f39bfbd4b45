"""What every stock write shares: the one conditional UPDATE that moves a stock item's counters,
the ledger entries that record it, the events that announce it, and dropping cached figures.

Counters change only through `move()`: a single UPDATE whose WHERE clause carries the condition
(enough available, the expected version), so concurrent writers queue on the row and each
re-checks the condition against the row as the previous one left it. Callers that touch several
items call it in ascending stock item id order, the one lock order of this app.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from core import quantities
from core.quantities import MAX_QUANTITY, as_quantity
from events.contracts import quantity
from inventory import cache
from inventory.errors import InvalidQuantity, Shortage
from inventory.models import ZERO, StockItem, StockMovement
from inventory.signals import inventory_adjusted, inventory_low_stock
from proto.events.v1 import inventory_pb2


@dataclass(frozen=True)
class ItemRef:
    """A stock item with what events and messages say about it (all immutable once created)."""

    id: int
    warehouse_id: int
    warehouse_code: str
    variant_id: int
    sku: str
    unit: str

    @classmethod
    def of(cls, item: StockItem) -> "ItemRef":
        return cls(
            id=item.pk,
            warehouse_id=item.warehouse_id,
            warehouse_code=item.warehouse.code,
            variant_id=item.variant_id,
            sku=item.variant.sku,
            unit=item.variant.unit,
        )


@dataclass(frozen=True)
class Levels:
    on_hand: Decimal
    reserved: Decimal
    threshold: Decimal
    version: int

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def clean_quantity(
    value: object, *, unit: str, field: str = "quantity", allow_zero: bool = False, step: Decimal | None = None
) -> Decimal:
    """A quantity of stock (core.quantities' rules, MAX_QUANTITY at most); with `step`, a multiple
    of it (what a customer may order). Refused as InvalidQuantity naming the field and the value."""
    try:
        return quantities.clean_quantity(value, unit=unit, step=step, allow_zero=allow_zero, maximum=MAX_QUANTITY)
    except quantities.QuantityRefused as exc:
        raise InvalidQuantity(f"{field} {value}: {exc.reason}", fields={field: [exc.reason]}) from None


# CASTs: SQLite (the embedded run) binds decimals as text, which never compares equal to a number.
_MOVE = (
    "UPDATE inventory_stockitem SET on_hand = on_hand + CAST(%s AS NUMERIC), "
    "reserved = reserved + CAST(%s AS NUMERIC), version = version + %s, updated_at = %s "
    "WHERE id = %s{conditions} RETURNING on_hand, reserved, low_stock_threshold, version"
)


def move(
    item_id: int,
    *,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    now: datetime,
    require_available: Decimal | None = None,
    expected_version: int | None = None,
) -> Levels | None:
    """Change the item's counters by the deltas in one UPDATE; None when the row is missing or a
    condition failed (nothing changed). A change of on-hand bumps the version."""
    conditions, params = "", list[Decimal | int]()
    if require_available is not None:
        conditions += " AND on_hand - reserved >= CAST(%s AS NUMERIC)"
        params.append(require_available)
    if expected_version is not None:
        conditions += " AND version = %s"
        params.append(expected_version)
    with connection.cursor() as cursor:
        cursor.execute(
            _MOVE.format(conditions=conditions), [on_hand, reserved, 1 if on_hand else 0, now, item_id, *params]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Levels(
        on_hand=as_quantity(row[0]), reserved=as_quantity(row[1]), threshold=as_quantity(row[2]), version=int(row[3])
    )


def current_levels(item_ids: Iterable[int]) -> dict[int, Levels]:
    """The counters of these items as committed now (a plain read: no lock)."""
    rows = StockItem.objects.filter(pk__in=list(item_ids)).values_list(
        "pk", "on_hand", "reserved", "low_stock_threshold", "version"
    )
    return {
        pk: Levels(
            on_hand=as_quantity(on_hand),
            reserved=as_quantity(reserved),
            threshold=as_quantity(threshold),
            version=int(version),
        )
        for pk, on_hand, reserved, threshold, version in rows
    }


def movement(
    item: ItemRef,
    *,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    reason: str,
    reference: str = "",
    note: str = "",
    actor_id: int | None = None,
    now: datetime,
) -> StockMovement:
    """An unsaved ledger entry (callers bulk-create them with `record`)."""
    return StockMovement(
        stock_item_id=item.id,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        reason=reason,
        reference=reference[:200],
        note=note[:300],
        actor_id=actor_id,
        created_at=now,
    )


def record(movements: Iterable[StockMovement]) -> list[StockMovement]:
    return StockMovement.objects.bulk_create(list(movements))


def announce_adjusted(
    item: ItemRef,
    *,
    delta: Decimal,
    on_hand_after: Decimal,
    reason: str,
    reference: str = "",
    actor_id: int | None = None,
) -> None:
    """inventory.adjusted: on-hand changed (receipt, count, waste, sale, transfer, import)."""
    inventory_adjusted.send_event(
        sender=StockItem,
        aggregate_id=str(item.id),
        payload=inventory_pb2.InventoryAdjusted(
            warehouse_code=item.warehouse_code,
            variant_id=str(item.variant_id),
            sku=item.sku,
            delta=quantity(delta, item.unit),
            on_hand_after=quantity(on_hand_after, item.unit),
            reason=reason,
            reference=reference,
            actor_id=str(actor_id) if actor_id else "",
        ),
    )


def check_low_stock(item: ItemRef, *, available_before: Decimal, available_after: Decimal, threshold: Decimal) -> bool:
    """inventory.low_stock when availability just crossed down to or below the item's threshold
    (0: when it sells out); once per crossing, not on every sale below it."""
    if not (available_after <= threshold < available_before):
        return False
    inventory_low_stock.send_event(
        sender=StockItem,
        aggregate_id=str(item.id),
        payload=inventory_pb2.InventoryLowStock(
            warehouse_code=item.warehouse_code,
            variant_id=str(item.variant_id),
            sku=item.sku,
            available=quantity(available_after, item.unit),
            threshold=quantity(threshold, item.unit),
        ),
    )
    return True


def changed(items: Iterable[ItemRef], db: BaseDatabaseWrapper | None = None) -> None:
    """Every stock write calls this inside its transaction: cached figures go when it commits
    (`db`: the default database's connection, when the caller has it)."""
    cache.invalidate_on_commit(((item.variant_id, item.warehouse_code) for item in items), db)


def item_refs(item_ids: Iterable[int]) -> dict[int, ItemRef]:
    items = StockItem.objects.filter(pk__in=list(item_ids)).select_related("warehouse", "variant")
    return {item.pk: ItemRef.of(item) for item in items}


def shortages_in(
    wanted: dict[int, Decimal], items: dict[int, ItemRef], now: dict[int, Levels], held: dict[int, Decimal]
) -> list[Shortage]:
    """The wanted lines (variant id: quantity) that the levels `now` (by stock item id) cannot
    serve, counting what the owner holds already (`held`, by stock item id) as theirs."""
    short = []
    for variant_id, qty in wanted.items():
        item = items[variant_id]
        available = (now[item.id].available if item.id in now else ZERO) + held.get(item.id, ZERO)
        if available < qty:
            short.append(Shortage(variant_id, item.sku, qty, max(available, ZERO)))
    return short
