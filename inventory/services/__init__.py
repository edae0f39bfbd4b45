"""Writes of inventory, for the other apps (orders reserves and commits) and for this app's
adapters. Every function is transactional; stock counters move only by conditional UPDATEs in
stock item id order (see levels.py), each with its ledger movement and event."""

from inventory.services.availability import Availability, WarehouseStock, availability, stock_by_warehouse
from inventory.services.commits import commit_reservation
from inventory.services.imports import ImportReport, import_stock
from inventory.services.reservation_ends import rebind_reservation, release_expired_reservations, release_reservation
from inventory.services.reservations import reserve_stock
from inventory.services.stock import (
    Adjustment,
    adjust_stock,
    adjust_stock_levels,
    ensure_stock_item,
    receive_stock,
    save_warehouse,
    set_low_stock_threshold,
    transfer_stock,
)

__all__ = [
    "Adjustment",
    "Availability",
    "ImportReport",
    "WarehouseStock",
    "adjust_stock",
    "adjust_stock_levels",
    "availability",
    "commit_reservation",
    "ensure_stock_item",
    "import_stock",
    "rebind_reservation",
    "receive_stock",
    "release_expired_reservations",
    "release_reservation",
    "reserve_stock",
    "save_warehouse",
    "set_low_stock_threshold",
    "stock_by_warehouse",
    "transfer_stock",
]
