"""The orders app's tables: carts (what a customer is about to buy, and their checkout) and orders
(what they bought, as placed and as picked, with its history)."""

from orders.models.cart import Cart, CartLine, CartState, PurchaseLimit, Substitution
from orders.models.order import (
    ActorKind,
    Order,
    OrderHistory,
    OrderLine,
    OrderStatus,
)

__all__ = [
    "ActorKind",
    "Cart",
    "CartLine",
    "CartState",
    "Order",
    "OrderHistory",
    "OrderLine",
    "OrderStatus",
    "PurchaseLimit",
    "Substitution",
]
