"""The dispatchers' back office: set-up (zones, postal codes, templates, couriers), slots with their
fill rate, and shipments with bulk transitions and courier assignment through the services."""

from delivery.admin import dispatch, setup, slots

__all__ = ["dispatch", "setup", "slots"]
