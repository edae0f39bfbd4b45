"""orders.v1.OrderService: read, list, cancel and watch orders. Customers reach their own orders
only (anyone else's is NOT_FOUND, as REST's 404); staff whose role grants orders.view_order reach
every order, and cancel with orders.change_order. Thin over the orders selectors and lifecycle.

WatchOrder follows the order's status history (orders.selectors.status_changes): the rows that
the lifecycle writes in the same transaction as each order event's outbox row, so the stream sees
exactly the committed changes the events announce. It looks every GRPC_WATCH_POLL_MS and ends at
a final status, or just before the client's deadline (docs/decisions/0003).
"""

import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import grpc
from django.conf import settings
from django.db.models import QuerySet

from core.errors import InvalidInput
from core.grpc import pages
from core.grpc.calls import has_staff_permission, require_user
from orders import selectors
from orders.models import ActorKind, Order, OrderHistory, OrderStatus
from orders.services import lifecycle
from proto.common.v1.types_pb2 import Money, Quantity
from proto.orders.v1 import orders_pb2, orders_pb2_grpc

VIEW_ANY = "orders.view_order"
CHANGE_ANY = "orders.change_order"
S = OrderStatus
FINAL = frozenset({S.DELIVERED, S.CANCELLED, S.REFUNDED})
# The domain event each status is announced with (a picked order becomes "packed").
EVENT_OF_STATUS = {
    S.PENDING_PAYMENT: "order.created",
    S.CONFIRMED: "order.confirmed",
    S.PACKED: "order.picked",
    S.OUT_FOR_DELIVERY: "order.shipped",
    S.DELIVERED: "order.delivered",
    S.CANCELLED: "order.cancelled",
}
# Stop this long before the client's deadline, so the stream ends with OK rather than the deadline.
DEADLINE_MARGIN = 0.2


def money(amount: Decimal, currency: str) -> Money:
    return Money(currency=currency, amount=f"{amount:.2f}")


def quantity(value: Decimal, unit: str) -> Quantity:
    return Quantity(value=f"{value.normalize():f}" if value else "0", unit=unit)


def order_message(order: Order, *, with_lines: bool) -> orders_pb2.Order:
    message = orders_pb2.Order(
        id=order.pk,
        number=order.number,
        customer_id=order.customer_id,
        status=order.status,
        subtotal=money(order.subtotal, order.currency),
        delivery_fee=money(order.delivery_fee, order.currency),
        total=money(order.total, order.currency),
        warehouse_code=order.warehouse_code,
        version=order.version,
    )
    if order.final_total is not None:
        message.final_total.CopyFrom(money(order.final_total, order.currency))
    for field, value in (
        ("placed_at", order.placed_at),
        ("slot_starts_at", order.slot_starts_at),
        ("slot_ends_at", order.slot_ends_at),
        ("cutoff_at", order.cutoff_at),
    ):
        getattr(message, field).FromDatetime(value)
    if with_lines:
        for line in order.lines.all():
            entry = message.lines.add(
                id=line.pk,
                variant_id=line.variant_id,
                sku=line.sku,
                name=line.name,
                quantity=quantity(line.quantity, line.unit),
                unit_price=money(line.unit_price, order.currency),
                line_total=money(line.line_total, order.currency),
                picked_sku=line.picked_sku,
            )
            if line.picked_quantity is not None:
                entry.picked_quantity.CopyFrom(quantity(line.picked_quantity, line.unit))
    return message


def change_message(
    order_id: int, *, from_status: str, to_status: str, at: datetime, actor_kind: str
) -> orders_pb2.OrderStatusChange:
    message = orders_pb2.OrderStatusChange(
        order_id=order_id,
        from_status=from_status,
        to_status=to_status,
        event_type=EVENT_OF_STATUS.get(S(to_status), ""),
        actor_kind=actor_kind,
        final=to_status in FINAL,
    )
    message.at.FromDatetime(at)
    return message


def _customer_scope(user: Any) -> Any:
    """None for staff who may see every order, else the customer whose orders these are."""
    return None if has_staff_permission(user, VIEW_ANY) else user


class OrderServicer(orders_pb2_grpc.OrderServiceServicer):
    def GetOrder(self, request: orders_pb2.GetOrderRequest, context: grpc.ServicerContext) -> orders_pb2.Order:
        user = require_user()
        return order_message(selectors.order_of(request.order_id, customer=_customer_scope(user)), with_lines=True)

    def ListOrders(
        self, request: orders_pb2.ListOrdersRequest, context: grpc.ServicerContext
    ) -> orders_pb2.ListOrdersResponse:
        user = require_user()
        customer = _customer_scope(user)
        if request.status and request.status not in S.values:
            raise InvalidInput(fields={"status": [f"One of {', '.join(S.values)}."]})
        orders: QuerySet[Order]
        if customer is None:
            orders = selectors.orders_for_staff(
                selectors.StaffFilters(status=request.status, customer_id=request.customer_id or None)
            )
        else:
            orders = selectors.orders_of(customer, status=request.status)
            if request.customer_id and request.customer_id != customer.pk:
                orders = orders.none()  # another customer's orders: none of theirs to see
        scope = ["orders", user.pk, request.status, request.customer_id]
        page = pages.paginate(orders, page_size=request.page_size, page_token=request.page_token, scope=scope)
        return orders_pb2.ListOrdersResponse(
            orders=[order_message(o, with_lines=False) for o in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    def CancelOrder(self, request: orders_pb2.CancelOrderRequest, context: grpc.ServicerContext) -> orders_pb2.Order:
        user = require_user()
        if has_staff_permission(user, CHANGE_ANY):
            lifecycle.cancel_order(
                request.order_id, by=ActorKind.STAFF, actor=user, reason=request.reason or "cancelled by staff"
            )
            customer = None
        else:
            customer = user
            lifecycle.cancel_order(
                request.order_id,
                by=ActorKind.CUSTOMER,
                actor=user,
                customer=user,
                reason=request.reason or "cancelled by the customer",
            )
        return order_message(selectors.order_of(request.order_id, customer=customer), with_lines=True)

    def WatchOrder(
        self, request: orders_pb2.WatchOrderRequest, context: grpc.ServicerContext
    ) -> Iterator[orders_pb2.OrderStatusChange]:
        user = require_user()
        order = selectors.order_of(request.order_id, customer=_customer_scope(user))
        history = [h for h in order.history.all() if h.to_status]
        last: OrderHistory | None = history[-1] if history else None
        yield change_message(
            order.pk,
            from_status=last.from_status if last else "",
            to_status=order.status,
            at=last.at if last else order.placed_at,
            actor_kind=last.actor_kind if last else ActorKind.CUSTOMER,
        )
        if order.status in FINAL:
            return
        after_id = last.pk if last else 0
        ends = time.monotonic() + settings.GRPC_WATCH_MAX_SECONDS
        poll = settings.GRPC_WATCH_POLL_MS / 1000
        while context.is_active():
            remaining = context.time_remaining()
            left = min(ends - time.monotonic(), remaining - DEADLINE_MARGIN if remaining is not None else ends)
            if left <= 0:
                return  # the deadline (or the longest watch) is reached: end the stream cleanly
            time.sleep(min(poll, left))
            for change in selectors.status_changes(order.pk, after_id=after_id):
                after_id = change.pk
                yield change_message(
                    order.pk,
                    from_status=change.from_status,
                    to_status=change.to_status,
                    at=change.at,
                    actor_kind=change.actor_kind,
                )
                if change.to_status in FINAL:
                    return


def register(server: grpc.Server) -> list[str]:
    orders_pb2_grpc.add_OrderServiceServicer_to_server(OrderServicer(), server)
    return [orders_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name]
