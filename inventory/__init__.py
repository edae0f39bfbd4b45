"""Warehouses, stock, the movement ledger and reservations."""
