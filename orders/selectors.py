"""Reads of orders for the customer and staff APIs and the admin."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from delivery.selectors import shipment_with_history
from orders.errors import OrderNotFound
from orders.models import Order, OrderHistory, OrderLine, OrderStatus

if TYPE_CHECKING:
    from accounts.models import User
    from delivery.models import Shipment

PICKABLE = (OrderStatus.CONFIRMED, OrderStatus.PICKING)


def _with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.prefetch_related(
        Prefetch("lines", OrderLine.objects.order_by("id")),
        Prefetch("history", OrderHistory.objects.order_by("at", "id")))


def orders_of(customer: "User", *, status: str = "") -> QuerySet[Order]:
    """The customer's orders, newest first."""
    orders = Order.objects.filter(customer=customer).order_by("-placed_at", "-id")
    return orders.filter(status=status) if status else orders


def order_of(order_id: int, *, customer: "User | None" = None) -> Order:
    """One order with its lines and history; with `customer`, only theirs (others: not found)."""
    orders = Order.objects.select_related("customer", "slot", "zone")
    if customer is not None:
        orders = orders.filter(customer=customer)
    order = _with_lines(orders).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    return order


def shipment_of(order: Order) -> "Shipment | None":
    """Delivery's shipment of the order (tracking), once the order is confirmed."""
    return shipment_with_history(order.ref)


@dataclass(frozen=True)
class StaffFilters:
    status: str = ""
    warehouse: str = ""
    slot_id: int | None = None
    customer_id: int | None = None
    placed_after: datetime | None = None
    placed_before: datetime | None = None
    number: str = ""


def orders_for_staff(filters: StaffFilters) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer").order_by("-placed_at", "-id")
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.warehouse:
        orders = orders.filter(warehouse_code=filters.warehouse)
    if filters.slot_id is not None:
        orders = orders.filter(slot_id=filters.slot_id)
    if filters.customer_id is not None:
        orders = orders.filter(customer_id=filters.customer_id)
    if filters.placed_after:
        orders = orders.filter(placed_at__gte=filters.placed_after)
    if filters.placed_before:
        orders = orders.filter(placed_at__lt=filters.placed_before)
    if filters.number:
        orders = orders.filter(pk=int(filters.number)) if filters.number.isdigit() else orders.none()
    return orders


@dataclass
class PickingItem:
    """One SKU to take from the shelves for the slot, over all its orders."""

    variant_id: int
    sku: str
    name: str
    unit: str
    quantity: Decimal = Decimal(0)
    order_lines: list[int] = field(default_factory=list)


def picking_list(warehouse: str, slot_id: int | None = None) -> tuple[list[Order], list[PickingItem]]:
    """The confirmed and picking orders of a warehouse (and slot), earliest window first, and the
    SKUs they need in total (a picker's walk through the shelves)."""
    orders = Order.objects.filter(warehouse_code=warehouse, status__in=PICKABLE)
    if slot_id is not None:
        orders = orders.filter(slot_id=slot_id)
    found = list(_with_lines(orders.select_related("customer")).order_by("slot_starts_at", "placed_at", "pk"))
    items: dict[int, PickingItem] = {}
    for order in found:
        for line in order.lines.all():
            item = items.get(line.variant_id) or PickingItem(line.variant_id, line.sku, line.name, line.unit)
            item.quantity += line.quantity
            item.order_lines.append(line.pk)
            items[line.variant_id] = item
    return found, sorted(items.values(), key=lambda item: item.sku)


def status_changes(order_id: int, *, after_id: int = 0) -> list[OrderHistory]:
    """The order's status moves recorded after history row `after_id`, oldest first (how gRPC's
    WatchOrder follows an order). By id: an order's rows are written under its row lock, so their
    ids grow in the order the moves committed."""
    return list(OrderHistory.objects.filter(order_id=order_id, pk__gt=after_id).exclude(to_status="").order_by("id"))
