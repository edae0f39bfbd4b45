"""Warehouses and the on-hand side of stock: receiving, counts and corrections (with the version
the person saw), transfers between warehouses, and the low-stock threshold.

Each function is one transaction that moves counters only through `levels.move` (one conditional
UPDATE per item, items in id order), writes the ledger and sends `inventory.adjusted` in it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidInput, StaleVersion
from inventory.errors import (
    BelowReserved,
    NotEnoughOnHand,
    StockItemNotFound,
    WarehouseInactive,
    shown,
)
from inventory.models import MovementReason, StockItem, Warehouse
from inventory.selectors import warehouse_by_code
from inventory.services import levels
from inventory.services.levels import ItemRef

if TYPE_CHECKING:
    from catalog.models import Variant

logger = logging.getLogger(__name__)

CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
ADJUSTMENT_REASONS = (MovementReason.ADJUSTMENT, MovementReason.WASTE, MovementReason.RETURN)


# --- warehouses ---------------------------------------------------------------------------------


def active_warehouse(code: str) -> Warehouse:
    warehouse = warehouse_by_code(code)
    if not warehouse.is_active:
        raise WarehouseInactive(f"Warehouse {warehouse.code} takes no reservations now.")
    return warehouse


def save_warehouse(*, code: str, name: str, is_active: bool = True, pk: int | None = None) -> Warehouse:
    """Create a warehouse, or rename / (de)activate one (its code is its identity: never changed)."""
    name, code = name.strip(), code.strip()
    if not name:
        raise InvalidInput(fields={"name": ["A warehouse needs a name."]})
    if not CODE.fullmatch(code):
        raise InvalidInput(fields={"code": ["Lower-case letters, digits and hyphens, at most 40."]})
    with transaction.atomic():
        if pk is None:
            try:
                with transaction.atomic():
                    return Warehouse.objects.create(code=code, name=name, is_active=is_active)
            except IntegrityError:
                raise InvalidInput(fields={"code": ["Another warehouse has this code."]}, code="code_taken") from None
        warehouse = Warehouse.objects.select_for_update().get(pk=pk)
        if code != warehouse.code:
            raise InvalidInput(fields={"code": ["A warehouse's code cannot change (imports and orders use it)."]})
        warehouse.name, warehouse.is_active = name, is_active
        warehouse.save(update_fields=["name", "is_active"])
        return warehouse


# --- stock items --------------------------------------------------------------------------------


def ensure_stock_item(warehouse: Warehouse, variant: Variant) -> ItemRef:
    """The stock item of the variant in the warehouse, created empty when missing (safe against a
    concurrent creation: the unique constraint decides, the loser reads the winner's row)."""
    item = StockItem.objects.filter(warehouse=warehouse, variant=variant).first()
    if item is None:
        StockItem.objects.bulk_create([StockItem(warehouse=warehouse, variant=variant)], ignore_conflicts=True)
        item = StockItem.objects.get(warehouse=warehouse, variant=variant)
    item.warehouse, item.variant = warehouse, variant
    return ItemRef.of(item)


def _item(warehouse_code: str, variant: Variant) -> ItemRef:
    item = (
        StockItem.objects.filter(warehouse__code=warehouse_code, variant=variant)
        .select_related("warehouse", "variant")
        .first()
    )
    if item is None:
        warehouse_by_code(warehouse_code)
        raise StockItemNotFound(f"Warehouse {warehouse_code} holds no stock of {variant.sku}.")
    return ItemRef.of(item)


def receive_stock(
    *,
    warehouse_code: str,
    variant: Variant,
    quantity: object,
    reference: str = "",
    note: str = "",
    actor_id: int | None = None,
    expected_version: int | None = None,
) -> tuple[ItemRef, levels.Levels]:
    """Goods arrived: on-hand grows by the quantity (the item is created on its first receipt).

    With `expected_version` (warehouse systems that read the item first) the receipt applies only
    to that version of an existing item: the row stays locked until the receipt commits, so the
    version cannot move in between."""
    warehouse = warehouse_by_code(warehouse_code)
    qty = levels.clean_quantity(quantity, unit=variant.unit)
    now = timezone.now()
    with transaction.atomic():
        if expected_version is not None:
            _expect_version(warehouse, variant, expected_version)
        item = ensure_stock_item(warehouse, variant)
        after = levels.move(item.id, on_hand=qty, now=now)
        assert after is not None  # rows are never deleted while anything refers to them
        levels.record(
            [
                levels.movement(
                    item,
                    on_hand=qty,
                    reason=MovementReason.RECEIPT,
                    reference=reference,
                    note=note,
                    actor_id=actor_id,
                    now=now,
                )
            ]
        )
        levels.announce_adjusted(
            item,
            delta=qty,
            on_hand_after=after.on_hand,
            reason=MovementReason.RECEIPT,
            reference=reference,
            actor_id=actor_id,
        )
        levels.changed([item])
    logger.info(
        "inventory: received %s %s of %s at %s (%s)",
        shown(qty),
        item.unit,
        item.sku,
        item.warehouse_code,
        reference or "-",
    )
    return item, after


def _expect_version(warehouse: Warehouse, variant: Variant, expected: int) -> None:
    current = (
        StockItem.objects.select_for_update()
        .filter(warehouse=warehouse, variant=variant)
        .values_list("version", flat=True)
        .first()
    )
    if current != expected:
        raise StaleVersion(
            f"The stock of {variant.sku} at {warehouse.code} is at version {current or 'none'}, not "
            f"{expected}; reload and try again.",
            current_version=current,
        )


@dataclass(frozen=True)
class Adjustment:
    """A person's correction of one item: the on-hand they counted (`on_hand`) or a signed change
    (`delta`), made from the `version` they saw."""

    stock_item_id: int
    version: int
    on_hand: Decimal | None = None
    delta: Decimal | None = None


def adjust_stock(
    adjustment: Adjustment,
    *,
    reason: str = MovementReason.ADJUSTMENT,
    note: str = "",
    reference: str = "",
    actor_id: int | None = None,
) -> levels.Levels:
    return adjust_stock_levels([adjustment], reason=reason, note=note, reference=reference, actor_id=actor_id)[0]


def adjust_stock_levels(
    adjustments: Sequence[Adjustment],
    *,
    reason: str = MovementReason.ADJUSTMENT,
    note: str = "",
    reference: str = "",
    actor_id: int | None = None,
) -> list[levels.Levels]:
    """Apply all the corrections or none. A version that moved on is a StaleVersion (409), never
    a silent overwrite; on-hand cannot go below what is reserved. `waste` only lowers stock and
    `return` only raises it. Returns the new levels, in the order given."""
    if reason not in ADJUSTMENT_REASONS:
        raise InvalidInput(fields={"reason": [f"One of {', '.join(ADJUSTMENT_REASONS)}."]})
    if not adjustments:
        return []
    refs = levels.item_refs(a.stock_item_id for a in adjustments)
    missing = [a.stock_item_id for a in adjustments if a.stock_item_id not in refs]
    if missing:
        raise StockItemNotFound(f"There is no stock item {missing[0]}.")
    if len({a.stock_item_id for a in adjustments}) != len(adjustments):
        raise InvalidInput("Each stock item may be adjusted once per request.")
    now = timezone.now()
    results: dict[int, levels.Levels] = {}
    with transaction.atomic():
        for adjustment in sorted(adjustments, key=lambda a: a.stock_item_id):  # the one lock order
            item = refs[adjustment.stock_item_id]
            delta = _delta(adjustment, item, reason)
            if not delta:
                current = levels.current_levels([item.id])[item.id]
                if current.version != adjustment.version:
                    raise StaleVersion(_stale(item, current.version), current_version=current.version)
                results[item.id] = current
                continue
            after = levels.move(
                item.id,
                on_hand=delta,
                now=now,
                expected_version=adjustment.version,
                require_available=-delta if delta < 0 else None,
            )
            if after is None:
                _refuse(item, adjustment, delta)
            assert after is not None
            results[item.id] = after
            levels.record(
                [
                    levels.movement(
                        item, on_hand=delta, reason=reason, reference=reference, note=note, actor_id=actor_id, now=now
                    )
                ]
            )
            levels.announce_adjusted(
                item, delta=delta, on_hand_after=after.on_hand, reason=reason, reference=reference, actor_id=actor_id
            )
            if delta < 0:
                levels.check_low_stock(
                    item,
                    available_before=after.available - delta,
                    available_after=after.available,
                    threshold=after.threshold,
                )
        levels.changed(refs.values())
    logger.info("inventory: %d stock item(s) adjusted (%s) by %s", len(adjustments), reason, actor_id or "system")
    return [results[a.stock_item_id] for a in adjustments]


def _delta(adjustment: Adjustment, item: ItemRef, reason: str) -> Decimal:
    if (adjustment.on_hand is None) == (adjustment.delta is None):
        raise InvalidInput(fields={"on_hand": ["Give either the counted on-hand or a delta."]})
    if adjustment.on_hand is not None:
        counted = levels.clean_quantity(adjustment.on_hand, unit=item.unit, field="on_hand", allow_zero=True)
        current = levels.current_levels([item.id])[item.id]
        if current.version != adjustment.version:
            raise StaleVersion(_stale(item, current.version), current_version=current.version)
        # The version guards the UPDATE too, so on-hand cannot change between this read and it.
        delta = counted - current.on_hand
    else:
        assert adjustment.delta is not None
        size = levels.clean_quantity(abs(Decimal(adjustment.delta)), unit=item.unit, field="delta")
        delta = size if Decimal(adjustment.delta) > 0 else -size
    if reason == MovementReason.WASTE and delta > 0:
        raise InvalidInput(fields={"reason": ["Waste can only lower the stock."]})
    if reason == MovementReason.RETURN and delta < 0:
        raise InvalidInput(fields={"reason": ["A return can only raise the stock."]})
    return delta


def _stale(item: ItemRef, version: int) -> str:
    return (
        f"The stock of {item.sku} at {item.warehouse_code} changed since you read it (now version {version}); "
        "reload and try again."
    )


def _refuse(item: ItemRef, adjustment: Adjustment, delta: Decimal) -> None:
    current = levels.current_levels([item.id]).get(item.id)
    if current is None:
        raise StockItemNotFound(f"There is no stock item {item.id}.")
    if current.version != adjustment.version:
        raise StaleVersion(_stale(item, current.version), current_version=current.version)
    raise BelowReserved(
        f"{item.sku} at {item.warehouse_code}: on-hand cannot go to {shown(current.on_hand + delta)} "
        f"while {shown(current.reserved)} is reserved for carts and orders.",
        fields={"on_hand": [f"At least {shown(current.reserved)} (reserved)."]},
    )


def transfer_stock(
    *,
    from_code: str,
    to_code: str,
    variant: Variant,
    quantity: object,
    reference: str = "",
    actor_id: int | None = None,
) -> tuple[levels.Levels, levels.Levels]:
    """Move available (unreserved) stock from one warehouse to another, both sides or neither."""
    if from_code == to_code:
        raise InvalidInput(fields={"to": ["Choose another warehouse than the source."]})
    qty = levels.clean_quantity(quantity, unit=variant.unit)
    source_item = _item(from_code, variant)
    target = warehouse_by_code(to_code)
    label = f"transfer {from_code}->{to_code}" + (f" {reference}" if reference else "")
    now = timezone.now()
    after: dict[int, levels.Levels] = {}
    with transaction.atomic():
        target_item = ensure_stock_item(target, variant)
        for item, delta in sorted([(source_item, -qty), (target_item, qty)], key=lambda pair: pair[0].id):
            moved = levels.move(item.id, on_hand=delta, now=now, require_available=qty if delta < 0 else None)
            if moved is None:
                available = levels.current_levels([item.id])[item.id].available
                raise NotEnoughOnHand(
                    f"{variant.sku} at {from_code}: {shown(available)} available (unreserved), "
                    f"cannot transfer {shown(qty)}.",
                    fields={"quantity": [f"At most {shown(available)}."]},
                )
            after[item.id] = moved
            levels.announce_adjusted(
                item,
                delta=delta,
                on_hand_after=moved.on_hand,
                reason=MovementReason.TRANSFER,
                reference=label,
                actor_id=actor_id,
            )
        levels.record(
            levels.movement(
                item, on_hand=delta, reason=MovementReason.TRANSFER, reference=label, actor_id=actor_id, now=now
            )
            for item, delta in ((source_item, -qty), (target_item, qty))
        )
        source_after = after[source_item.id]
        levels.check_low_stock(
            source_item,
            available_before=source_after.available + qty,
            available_after=source_after.available,
            threshold=source_after.threshold,
        )
        levels.changed([source_item, target_item])
    logger.info(
        "inventory: transferred %s %s of %s from %s to %s", shown(qty), variant.unit, variant.sku, from_code, to_code
    )
    return after[source_item.id], after[target_item.id]


def set_low_stock_threshold(stock_item_id: int, threshold: object, *, version: int) -> levels.Levels:
    """A staff edit like any other: refused when the version moved on; bumps the version."""
    item = levels.item_refs([stock_item_id]).get(stock_item_id)
    if item is None:
        raise StockItemNotFound(f"There is no stock item {stock_item_id}.")
    value = levels.clean_quantity(threshold, unit=item.unit, field="low_stock_threshold", allow_zero=True)
    with transaction.atomic():
        updated = StockItem.objects.filter(pk=stock_item_id, version=version).update(
            low_stock_threshold=value, version=version + 1, updated_at=timezone.now()
        )
        current = levels.current_levels([stock_item_id])[stock_item_id]
        if not updated:
            raise StaleVersion(_stale(item, current.version), current_version=current.version)
    return current
