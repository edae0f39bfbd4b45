"""Reads of orders for the reports app: sales, customers' activity, demand, fulfilment and
punctuality, aggregated in the database."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
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
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractHour, Least, NullIf, Trunc

from orders.models import Order, OrderLine, OrderStatus

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
