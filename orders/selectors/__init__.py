"""Reads of orders for the customer and staff APIs, the admin, invoicing and the back office's dashboard
(the reports app's aggregates are in orders/selectors/reports.py)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, DecimalField, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from delivery.selectors import shipment_with_history
from orders.errors import OrderNotFound
from orders.models import Order, OrderHistory, OrderLine, OrderStatus

# Re-exported: the reports app reads these as orders.selectors.<name>, like the other reads of orders.
from orders.selectors.reports import (  # noqa: F401
    REPORT_PERIODS,
    SALES_DIMENSIONS,
    ReportScope,
    customer_activity,
    daily_demand,
    delivery_punctuality,
    first_orders,
    fulfilment_by_sku,
    sales_aggregates,
)

if TYPE_CHECKING:
    from accounts.models import User
    from delivery.models import Shipment

PICKABLE = (OrderStatus.CONFIRMED, OrderStatus.PICKING)


def _with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.prefetch_related(
        Prefetch("lines", OrderLine.objects.order_by("id")),
        Prefetch("history", OrderHistory.objects.order_by("at", "id")),
    )


def orders_of(customer: "User", *, status: str = "") -> QuerySet[Order]:
    """The customer's orders, newest first."""
    orders = Order.objects.filter(customer=customer).order_by("-placed_at", "-id")
    return orders.filter(status=status) if status else orders


def orders_for_export(customer_id: int) -> QuerySet[Order]:
    """Every order of the customer with its lines and history, oldest first (their data export)."""
    return _with_lines(Order.objects.filter(customer_id=customer_id).order_by("placed_at", "id"))


IN_PROGRESS = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.CONFIRMED,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
    OrderStatus.OUT_FOR_DELIVERY,
)


def has_orders_in_progress(customer_id: int) -> bool:
    """Whether an order of the customer is still to be paid, picked or delivered."""
    return Order.objects.filter(customer_id=customer_id, status__in=IN_PROGRESS).exists()


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


def order_for_invoice(order_id: int | str) -> Order | None:
    """An order with its customer and lines (as picked), for the invoices issued on it."""
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        return None
    return _with_lines(Order.objects.select_related("customer")).filter(pk=pk).first()


# --- the back office's dashboard ------------------------------------------------------------------

# Orders still to be delivered: paid for (or being paid) and not yet at the customer.
UNDELIVERED = (OrderStatus.CONFIRMED, OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.OUT_FOR_DELIVERY)
NOT_SOLD = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)


def orders_by_status(placed_from: datetime, placed_before: datetime) -> dict[str, int]:
    """How many orders placed in [from, before) are in each status (statuses with none left out)."""
    rows = (
        Order.objects.filter(placed_at__gte=placed_from, placed_at__lt=placed_before)
        .values("status")
        .annotate(count=Count("id"))
    )
    return {row["status"]: row["count"] for row in rows}


def orders_past_their_slot(now: datetime) -> QuerySet[Order]:
    """Orders whose delivery window has ended and that are not delivered (nor cancelled)."""
    return Order.objects.filter(status__in=UNDELIVERED, slot_ends_at__lt=now)


@dataclass(frozen=True)
class SlotPicking:
    warehouse_code: str
    slot_id: int
    slot_starts_at: datetime
    slot_ends_at: datetime
    orders: int
    lines: int


def picking_load(slot_starts_before: datetime, *, limit: int = 12) -> list[SlotPicking]:
    """What is to pick for the next slots: confirmed and picking orders per warehouse and slot
    starting before `slot_starts_before` (earlier ones still unpicked included), earliest first."""
    rows = (
        Order.objects.filter(status__in=PICKABLE, slot_starts_at__lt=slot_starts_before)
        .values("warehouse_code", "slot_id", "slot_starts_at", "slot_ends_at")
        .annotate(order_count=Count("id", distinct=True), line_count=Count("lines"))
        .order_by("slot_starts_at", "warehouse_code")[:limit]
    )
    return [
        SlotPicking(
            warehouse_code=row["warehouse_code"],
            slot_id=row["slot_id"],
            slot_starts_at=row["slot_starts_at"],
            slot_ends_at=row["slot_ends_at"],
            orders=row["order_count"],
            lines=row["line_count"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Takings:
    orders: int
    total: Decimal


def takings(placed_from: datetime, placed_before: datetime) -> Takings:
    """Orders placed in [from, before) that are sold (neither awaiting payment nor cancelled), and
    their value as placed (refunds are finance's own figure)."""
    row = (
        Order.objects.filter(placed_at__gte=placed_from, placed_at__lt=placed_before)
        .exclude(status__in=NOT_SOLD)
        .aggregate(orders=Count("id"), total=Coalesce(Sum("total"), Decimal(0), output_field=DecimalField()))
    )
    return Takings(orders=row["orders"], total=row["total"])
