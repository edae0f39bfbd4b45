"""The refusals of the inventory domain, each with a stable code (core/errors.py gives the kind,
and with it the HTTP status)."""

from dataclasses import dataclass
from decimal import Decimal

from core.errors import Conflict, DomainError, InvalidInput, NotFound


def shown(quantity: Decimal) -> str:
    """A quantity as people write it: 3, 1.2, 0.25 (no padding zeros)."""
    return f"{quantity.normalize():f}" if quantity else "0"


@dataclass(frozen=True)
class Shortage:
    variant_id: int
    sku: str
    requested: Decimal
    available: Decimal


class OutOfStock(Conflict):
    """Not enough available stock for at least one line; nothing was reserved."""

    code = "out_of_stock"
    default_message = "Not enough stock."

    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        described = "; ".join(
            f"{s.sku}: asked for {shown(s.requested)}, {shown(s.available)} available" for s in shortages
        )
        super().__init__(
            f"Not enough stock for {described}.",
            fields={"lines": [f"{s.sku}: only {shown(s.available)} available." for s in shortages]},
        )


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"
    default_message = "There is no such warehouse."


class WarehouseInactive(Conflict):
    code = "warehouse_inactive"
    default_message = "This warehouse takes no reservations now."


class VariantNotFound(NotFound):
    code = "variant_not_found"
    default_message = "There is no such variant."


class VariantNotSellable(Conflict):
    code = "variant_not_sellable"


class StockItemNotFound(NotFound):
    code = "stock_item_not_found"
    default_message = "This warehouse holds no stock of that variant."


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"


class BelowReserved(Conflict):
    """On-hand cannot go below what is promised to carts and orders (release those first)."""

    code = "below_reserved"


class NotEnoughOnHand(Conflict):
    code = "not_enough_on_hand"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
    default_message = "There is no such reservation."


class ReservationNotActive(Conflict):
    code = "reservation_not_active"


class ReservationExpired(ReservationNotActive):
    code = "reservation_expired"


class ReservationBusy(Conflict):
    code = "reservation_busy"
    default_message = "The owner's reservation is being changed by another request; retry shortly."


class FileRejected(DomainError):
    """A stock file as a whole cannot be read (unknown format, no or a wrong header)."""

    code = "import_file_rejected"
