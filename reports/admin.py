from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import DailySales


@admin.register(DailySales)
class DailySalesAdmin(admin.ModelAdmin[DailySales]):
    """Sales by day, as the order events report them; kept by the reports.sales consumer."""

    list_display = ("day", "currency", "orders_placed", "gross_placed", "orders_cancelled", "gross_cancelled",
                    "net_sales")
    list_filter = ("currency",)
    date_hierarchy = "day"

    @admin.display(description="net sales")
    def net_sales(self, obj: DailySales) -> Decimal:
        return obj.net_sales

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
