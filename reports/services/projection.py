"""Writes of the reports app: the sales projection, fed by order events."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from core.money import is_currency
from reports.models import DailySales


def shop_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


class InvalidSalesFigure(ValueError):
    code = "invalid_sales_figure"


def _check(total: Decimal, currency: str) -> None:
    if total < 0:
        raise InvalidSalesFigure(f"an order total cannot be negative: {total}")
    if not is_currency(currency):
        raise InvalidSalesFigure(f"not a currency code: {currency!r}")


def _add_to_day(day: date, currency: str, **increments: int | Decimal) -> None:
    # get_or_create survives a concurrent insert of the same day; the UPDATE with F() adds to
    # whatever the row holds by then, so two consumers never lose each other's counts.
    row, _ = DailySales.objects.get_or_create(day=day, currency=currency)
    DailySales.objects.filter(pk=row.pk).update(
        **{field: F(field) + amount for field, amount in increments.items()}, updated_at=timezone.now()
    )


def record_order_placed(*, placed_at: datetime, total: Decimal, currency: str) -> None:
    _check(total, currency)
    _add_to_day(shop_day(placed_at), currency, orders_placed=1, gross_placed=total)


def record_order_cancelled(*, cancelled_at: datetime, total: Decimal, currency: str) -> None:
    _check(total, currency)
    _add_to_day(shop_day(cancelled_at), currency, orders_cancelled=1, gross_cancelled=total)
