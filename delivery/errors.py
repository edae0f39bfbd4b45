"""The failures of the delivery domain, each with a stable code and the HTTP status that fits it.

The API renders them as `{"code", "message", "fields"}` (delivery/api/errors.py). When the suite's
domain error base lands in config/errors.py, DeliveryError should subclass it.
"""

from typing import ClassVar


class DeliveryError(Exception):
    code: ClassVar[str] = "delivery_error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidPostalCode(DeliveryError):
    code = "invalid_postal_code"


class AddressNotFound(DeliveryError):
    """Not one of the caller's addresses (someone else's answers the same: never say which)."""

    code = "address_not_found"
    http_status = 404


class PostalCodeNotServed(DeliveryError):
    code = "postal_code_not_served"
    http_status = 404


class SlotNotFound(DeliveryError):
    code = "slot_not_found"
    http_status = 404


class SlotUnavailable(DeliveryError):
    """The slot takes no new place now; the subclass says why."""

    http_status = 409


class SlotFull(SlotUnavailable):
    code = "slot_full"


class SlotClosed(SlotUnavailable):
    code = "slot_closed"


class SlotPastCutoff(SlotUnavailable):
    code = "slot_past_cutoff"


class StaleVersion(DeliveryError):
    code = "stale_version"
    http_status = 409


class CapacityBelowReserved(DeliveryError):
    code = "capacity_below_reserved"
    http_status = 409


class HoldNotFound(DeliveryError):
    code = "hold_not_found"
    http_status = 404


class HoldAlreadyActive(DeliveryError):
    code = "hold_already_active"
    http_status = 409


class HoldExpired(DeliveryError):
    code = "hold_expired"
    http_status = 409


class HoldAlreadyExtended(DeliveryError):
    code = "hold_already_extended"
    http_status = 409


class HoldNotActive(DeliveryError):
    code = "hold_not_active"
    http_status = 409


class ShipmentNotFound(DeliveryError):
    code = "shipment_not_found"
    http_status = 404


class IllegalTransition(DeliveryError):
    code = "illegal_transition"
    http_status = 409


class CourierRequired(DeliveryError):
    code = "courier_required"
    http_status = 409


class CourierNotFound(DeliveryError):
    code = "courier_not_found"
    http_status = 400


class CourierUnavailable(DeliveryError):
    code = "courier_unavailable"
    http_status = 409


class NoCourierAvailable(DeliveryError):
    code = "no_courier_available"
    http_status = 409


class InvalidOrderEvent(DeliveryError):
    """An order event that delivery cannot act on (e.g. an unknown slot id): it is dead-lettered."""

    code = "invalid_order_event"
