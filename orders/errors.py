"""The refusals of the orders domain, each a kind of `core.errors.DomainError` with a stable code
(the API-wide handler gives it its status and the one error body)."""

from collections.abc import Mapping, Sequence

from core.errors import Conflict, DomainError, InvalidInput, NotFound


class OrdersError(DomainError):
    code = "orders_error"


class CartLineNotFound(OrdersError, NotFound):
    code = "cart_line_not_found"


class OrderNotFound(OrdersError, NotFound):
    """Not one of the caller's orders (someone else's answers the same: never say which)."""

    code = "order_not_found"
    default_message = "No order of yours has this id."


class VariantNotFound(OrdersError, InvalidInput):
    code = "variant_not_found"


class InvalidQuantity(OrdersError, InvalidInput):
    code = "invalid_quantity"


class CartTooLarge(OrdersError, InvalidInput):
    code = "cart_too_large"


class CartEmpty(OrdersError, Conflict):
    code = "cart_empty"
    default_message = "The cart is empty."


class CartInvalid(OrdersError, Conflict):
    """Lines the cart cannot be ordered with; `fields` names each line's problem."""

    code = "cart_invalid"

    def __init__(self, problems: Mapping[str, Sequence[str]]) -> None:
        super().__init__("Some items in your cart cannot be ordered as they are; see the lines named.", fields=problems)


class BelowMinimumOrder(OrdersError, Conflict):
    code = "below_minimum_order"


class ZoneNotOrderable(OrdersError, Conflict):
    code = "zone_not_orderable"


class CartChanged(OrdersError, Conflict):
    code = "cart_changed"
    default_message = "The cart changed during checkout; check out again."


class CheckoutRequired(OrdersError, Conflict):
    code = "checkout_required"
    default_message = "Choose an address and a delivery slot (checkout) before placing the order."


class PriceChanged(OrdersError, Conflict):
    code = "price_changed"


class IllegalTransition(OrdersError, Conflict):
    code = "illegal_transition"


class CancellationClosed(OrdersError, Conflict):
    code = "cancellation_closed"


class PickRefused(OrdersError, Conflict):
    code = "pick_refused"


class SubstitutionNotAllowed(OrdersError, Conflict):
    code = "substitution_not_allowed"


class LinesNotPicked(OrdersError, Conflict):
    code = "lines_not_picked"


class NothingPicked(OrdersError, Conflict):
    code = "nothing_picked"
    default_message = "Nothing was picked for this order; cancel it instead."


class RefundRefused(OrdersError, Conflict):
    code = "refund_refused"
