"""Reads of orders for the customer and staff APIs and the admin."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Count,
    DateField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractHour, Least, NullIf, Trunc

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


# --- Reads for the reports app ---------------------------------------------------------------------
# Aggregated in the database (GROUP BY), one row per group, streamed with a server-side cursor on
# PostgreSQL. `start`/`end` are aware datetimes (end exclusive) on the placed-at clock; local days,
# weeks, months and hours are taken in `time_zone`, the shop's. `using` names the database alias
# (the reports read from the replica when there is one).

REPORT_PERIODS = {"day": "day", "week": "week", "month": "month"}
SALES_DIMENSIONS = {
    "category": "variant__product__category__name",
    "sku": "sku",
    "zone": "order__zone__code",
    "gateway": "order__payment_gateway",
}


@dataclass(frozen=True)
class ReportScope:
    """Which orders a report covers: placed in [start, end), optionally of one warehouse, zone, currency."""

    start: datetime
    end: datetime
    time_zone: str
    warehouse: str = ""
    zone: str = ""
    currency: str = ""
    using: str = "default"


def _scoped_orders(scope: ReportScope, prefix: str = "") -> Q:
    conditions = Q(**{f"{prefix}placed_at__gte": scope.start, f"{prefix}placed_at__lt": scope.end})
    if scope.warehouse:
        conditions &= Q(**{f"{prefix}warehouse_code": scope.warehouse})
    if scope.zone:
        conditions &= Q(**{f"{prefix}zone__code": scope.zone})
    if scope.currency:
        conditions &= Q(**{f"{prefix}currency": scope.currency})
    return conditions


def sales_aggregates(scope: ReportScope, *, by: str, granularity: str = "day") -> Iterator[Mapping[str, Any]]:
    """Order lines of orders placed in scope, grouped by `by` (period, slot_hour or a SALES_DIMENSIONS
    key) as `key`: distinct orders, cancelled orders, items, gross and cancelled line value, and
    refunds shared out over an order's lines in proportion to their value (cancelled orders have none)."""
    tz = ZoneInfo(scope.time_zone)
    key: Any
    if by == "period":
        key = Trunc("order__placed_at", REPORT_PERIODS[granularity], output_field=DateField(), tzinfo=tz)
    elif by == "slot_hour":
        key = ExtractHour("order__slot_starts_at", tzinfo=tz)
    else:
        key = F(SALES_DIMENSIONS[by])
    cancelled = Q(order__status=OrderStatus.CANCELLED)
    money = DecimalField(max_digits=20, decimal_places=6)
    rows = (
        OrderLine.objects.using(scope.using)
        .filter(_scoped_orders(scope, "order__"))
        .annotate(key=key)
        .values("key")
        .annotate(
            orders=Count("order", distinct=True),
            cancellations=Count("order", distinct=True, filter=cancelled),
            items=Sum("quantity"),
            gross=Sum("line_total"),
            cancelled=Coalesce(Sum("line_total", filter=cancelled), Value(Decimal(0)), output_field=money),
            refunds=Coalesce(
                Sum(
                    ExpressionWrapper(
                        F("line_total") * F("order__refunded_amount") / NullIf(F("order__subtotal"), Value(0)),
                        output_field=money,
                    ),
                    filter=~cancelled,
                ),
                Value(Decimal(0)),
                output_field=money,
            ),
        )
        .order_by("key")
    )
    return rows.iterator(chunk_size=5000)


def customer_activity(scope: ReportScope, *, granularity: str) -> Iterator[Mapping[str, Any]]:
    """Per customer and local period: orders kept (not cancelled) and their value (as picked when
    picked, else as placed, less refunds)."""
    tz = ZoneInfo(scope.time_zone)
    period = Trunc("placed_at", REPORT_PERIODS[granularity], output_field=DateField(), tzinfo=tz)
    rows = (
        Order.objects.using(scope.using)
        .filter(_scoped_orders(scope))
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(period=period)
        .values("customer_id", "period")
        .annotate(
            orders=Count("id"),
            value=Sum(Coalesce("final_total", "total") - F("refunded_amount")),
            last_placed_at=Max("placed_at"),
        )
        .order_by("customer_id", "period")
    )
    return rows.iterator(chunk_size=5000)


def first_orders(customer_ids: list[int] | None, *, using: str = "default") -> dict[int, datetime]:
    """When each customer placed their first order that was not cancelled (all customers: None)."""
    orders = Order.objects.using(using).exclude(status=OrderStatus.CANCELLED)
    if customer_ids is not None:
        orders = orders.filter(customer_id__in=customer_ids)
    return {
        row["customer_id"]: row["first"]
        for row in orders.values("customer_id").annotate(first=Min("placed_at")).order_by()
    }


def daily_demand(scope: ReportScope) -> Iterator[Mapping[str, Any]]:
    """Ordered quantity and line value per local day, warehouse and SKU of orders kept. Ordered, not
    picked: a short is demand the shop failed to meet, and a forecast must not learn it away."""
    tz = ZoneInfo(scope.time_zone)
    rows = (
        OrderLine.objects.using(scope.using)
        .filter(_scoped_orders(scope, "order__"))
        .exclude(order__status=OrderStatus.CANCELLED)
        .annotate(day=Trunc("order__placed_at", "day", output_field=DateField(), tzinfo=tz))
        .values("day", "order__warehouse_code", "sku")
        .annotate(quantity=Sum("quantity"), revenue=Sum("line_total"))
        .order_by("order__warehouse_code", "sku", "day")
    )
    return rows.iterator(chunk_size=5000)


def fulfilment_by_sku(scope: ReportScope) -> Iterator[Mapping[str, Any]]:
    """Picked lines of orders in scope per ordered SKU: lines, ordered and filled quantity (picked, at
    most what was ordered), short lines (picked less than ordered) and substituted lines."""
    quantity = DecimalField(max_digits=14, decimal_places=3)
    rows = (
        OrderLine.objects.using(scope.using)
        .filter(_scoped_orders(scope, "order__"), picked_quantity__isnull=False)
        .values("sku")
        .annotate(
            lines=Count("id"),
            ordered=Sum("quantity"),
            filled=Sum(Least("picked_quantity", "quantity"), output_field=quantity),
            short_lines=Count("id", filter=Q(picked_quantity__lt=F("quantity"))),
            substituted_lines=Count("id", filter=Q(picked_variant__isnull=False)),
        )
        .order_by("sku")
    )
    return rows.iterator(chunk_size=5000)


def delivery_punctuality(scope: ReportScope) -> dict[str, Any]:
    """Orders in scope delivered, delivered by the end of their slot, and the mean minutes from the
    first pick to packing."""
    orders = Order.objects.using(scope.using).filter(_scoped_orders(scope))
    delivered = orders.filter(delivered_at__isnull=False).aggregate(
        delivered=Count("id"), on_time=Count("id", filter=Q(delivered_at__lte=F("slot_ends_at")))
    )
    first_pick = (
        OrderLine.objects.filter(order=OuterRef("pk"), picked_at__isnull=False)
        .order_by("picked_at")
        .values("picked_at")[:1]
    )
    packed = (
        orders.filter(packed_at__isnull=False)
        .annotate(first_pick=Subquery(first_pick))
        .filter(first_pick__isnull=False)
        .aggregate(
            packed=Count("id"),
            pick_to_pack=Avg(ExpressionWrapper(F("packed_at") - F("first_pick"), output_field=DurationField())),
        )
    )
    return {**delivered, **packed}


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
