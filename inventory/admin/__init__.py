"""The back office for stock: warehouses, stock by warehouse (with the low-stock view and the
adjust action), the read-only ledger, reservations and imports. Every write goes through
inventory.services, with the version the person saw."""

from inventory.admin import records, stock  # noqa: F401  (registers the admins)
