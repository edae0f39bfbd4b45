"""Zones, delivery slots, holds, shipments and tracking."""
