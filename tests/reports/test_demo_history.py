"""The reports' demo history: deterministic, with what the charts are meant to show."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from catalog import demo as catalog_demo
from config import demo_history as demo
from delivery import demo as delivery_demo
from orders.models import Order, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _figures() -> tuple[int, ...]:
    lines = OrderLine.objects.aggregate(
        lines=Count("id"),
        shorts=Count("id", filter=Q(picked_quantity__lt=F("quantity"))),
        substituted=Count("id", filter=Q(picked_variant__isnull=False)),
    )
    return (
        Order.objects.count(),
        Order.objects.filter(status=OrderStatus.CANCELLED).count(),
        lines["lines"],
        lines["shorts"],
        lines["substituted"],
    )


def _first_and_last_week_of(sku: str) -> list[float]:
    first: datetime = Order.objects.order_by("placed_at").values_list("placed_at", flat=True)[0]
    now = timezone.now()
    return [
        float(
            OrderLine.objects.filter(sku=sku, order__placed_at__gte=start, order__placed_at__lt=end).aggregate(
                q=Sum("quantity")
            )["q"]
            or 0
        )
        for start, end in ((first, first + timedelta(days=7)), (now - timedelta(days=8), now))
    ]


def test_the_history_is_the_same_every_time_and_has_a_trend() -> None:
    catalog_demo.load()
    delivery_demo.load()
    figures, weeks = [], []
    for _ in range(2):  # loaded twice from scratch (the first rolled back): the same history
        try:
            with transaction.atomic():
                demo.load_history(days=28, customers=60, runs=False)
                figures.append(_figures())
                weeks = _first_and_last_week_of(min(OrderLine.objects.values_list("sku", flat=True)))
                raise _Undo
        except _Undo:
            pass
    assert figures[0] == figures[1]
    orders, cancelled, lines, shorts, substituted = figures[0]
    # How many depends on the weekday the 28 days start on (the weekday weights meet other draws):
    # 91 to 119 over the seven weekdays (measured 2026-12-03); above 100 failed three days a week.
    assert orders > 80 and 0 < cancelled < orders / 5 and 0 < shorts < lines / 10 and 0 < substituted < lines / 10
    assert weeks[1] > weeks[0]  # the first SKU sells more and more
    demo.load_history(days=28, customers=60, runs=False)
    assert demo.load_history(days=28, customers=60, runs=False) == ["Reports: the demo order history is there already."]
