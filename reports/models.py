"""Projections that the reports read, kept up to date from domain events."""

from decimal import Decimal

from django.db import models
from django.db.models import Q


class DailySales(models.Model):
    """Orders and their value per day and currency, as the events report them.

    Placed orders count on the day they were placed and cancellations on the day they happened, in
    the shop's time zone.
    """

    day = models.DateField()
    currency = models.CharField(max_length=3)
    orders_placed = models.PositiveIntegerField(default=0)
    orders_cancelled = models.PositiveIntegerField(default=0)
    gross_placed = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    gross_cancelled = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "daily sales"
        verbose_name_plural = "daily sales"
        ordering = ["-day", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["day", "currency"], name="daily_sales_one_row_per_day"),
            models.CheckConstraint(
                condition=Q(gross_placed__gte=0) & Q(gross_cancelled__gte=0), name="daily_sales_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency}"

    @property
    def net_sales(self) -> Decimal:
        return self.gross_placed - self.gross_cancelled


