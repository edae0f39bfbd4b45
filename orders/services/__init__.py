"""Writes of the orders app: carts, checkout, placing orders, their life cycle, picking and refunds.
Every function is transactional and composes the services of inventory, delivery and payments."""

from orders.services.cart import (
    PricedCart,
    PricedLine,
    acknowledge_prices,
    add_to_cart,
    clear_cart,
    merge_carts,
    open_cart_of,
    price_cart,
    purge_abandoned_carts,
    remove_cart_line,
    update_cart_line,
)
from orders.services.checkout import Checkout, cancel_checkout, checkout_of, start_checkout
from orders.services.lifecycle import (
    cancel_order,
    cancel_unpaid_orders,
    confirm_order,
    customer_may_cancel,
    payment_failed,
    record_delivered,
    record_shipped,
)
from orders.services.picking import Pick, line_change, pack_order, record_pick, record_picks
from orders.services.placement import place_order
from orders.services.refunds import record_refund, refund_order

__all__ = [
    "Checkout",
    "Pick",
    "PricedCart",
    "PricedLine",
    "acknowledge_prices",
    "add_to_cart",
    "cancel_checkout",
    "cancel_order",
    "cancel_unpaid_orders",
    "checkout_of",
    "clear_cart",
    "confirm_order",
    "customer_may_cancel",
    "line_change",
    "merge_carts",
    "open_cart_of",
    "pack_order",
    "payment_failed",
    "place_order",
    "price_cart",
    "purge_abandoned_carts",
    "record_delivered",
    "record_pick",
    "record_picks",
    "record_refund",
    "record_shipped",
    "refund_order",
    "remove_cart_line",
    "start_checkout",
    "update_cart_line",
]
