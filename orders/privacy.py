"""What orders contributes to a customer's data export, and when it holds up an erasure
(accounts.privacy). The orders are exported as the customer sees them in the API."""

from typing import Any

from accounts.privacy import register_erasure_check, register_export_part
from orders import selectors
from orders.api.serializers import OrderSerializer

ORDERS_IN_PROGRESS = "Orders are still on their way: the account can be erased once they are delivered or cancelled."


def orders_part(user_id: int) -> list[dict[str, Any]]:
    orders = selectors.orders_for_export(user_id)
    return [dict(OrderSerializer(order, context={"shipment": None}).data) for order in orders]


def orders_in_progress(user_id: int) -> str | None:
    return ORDERS_IN_PROGRESS if selectors.has_orders_in_progress(user_id) else None


def register() -> None:
    register_export_part("orders", orders_part)
    register_erasure_check("orders", orders_in_progress)
