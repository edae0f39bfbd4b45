"""The failures of the delivery domain, each with a stable code.

Each is a kind of `core.errors.DomainError` (invalid input, not found, conflict), so the API-wide
handler gives it its status and the error body, and the admin and consumers can catch it alike.
"""

from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.errors import StaleVersion as StaleVersionBase


class DeliveryError(DomainError):
    """Any refusal of the delivery domain."""

    code = "delivery_error"


class InvalidPostalCode(DeliveryError, InvalidInput):
    code = "invalid_postal_code"


class AddressNotFound(DeliveryError, NotFound):
    """Not one of the caller's addresses (someone else's answers the same: never say which)."""

    code = "address_not_found"


class PostalCodeNotServed(DeliveryError, NotFound):
    code = "postal_code_not_served"


class SlotNotFound(DeliveryError, NotFound):
    code = "slot_not_found"


class SlotUnavailable(DeliveryError, Conflict):
    """The slot takes no new place now; the subclass says why."""


class SlotFull(SlotUnavailable):
    code = "slot_full"


class SlotClosed(SlotUnavailable):
    code = "slot_closed"


class SlotPastCutoff(SlotUnavailable):
    code = "slot_past_cutoff"


class StaleVersion(DeliveryError, StaleVersionBase):
    code = "stale_version"

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, current_version: int | None = None
    ) -> None:
        DomainError.__init__(self, message, fields=fields)
        self.current_version = current_version


class CapacityBelowReserved(DeliveryError, Conflict):
    code = "capacity_below_reserved"


class HoldNotFound(DeliveryError, NotFound):
    code = "hold_not_found"


class HoldAlreadyActive(DeliveryError, Conflict):
    code = "hold_already_active"


class HoldExpired(DeliveryError, Conflict):
    code = "hold_expired"


class HoldAlreadyExtended(DeliveryError, Conflict):
    code = "hold_already_extended"


class HoldNotActive(DeliveryError, Conflict):
    code = "hold_not_active"


class ShipmentNotFound(DeliveryError, NotFound):
    code = "shipment_not_found"


class IllegalTransition(DeliveryError, Conflict):
    code = "illegal_transition"


class CourierRequired(DeliveryError, Conflict):
    code = "courier_required"


class CourierNotFound(DeliveryError, InvalidInput):
    code = "courier_not_found"


class CourierUnavailable(DeliveryError, Conflict):
    code = "courier_unavailable"


class NoCourierAvailable(DeliveryError, Conflict):
    code = "no_courier_available"


class InvalidOrderEvent(DeliveryError, InvalidInput):
    """An order event that delivery cannot act on (e.g. an unknown slot id): it is dead-lettered."""

    code = "invalid_order_event"


class NotificationNotFound(DeliveryError, NotFound):
    default_message = "There is no such dispatch notification."
    code = "notification_not_found"
