from decimal import Decimal

from django.contrib import admin

from core.admin.readonly import ReadOnlyAdmin
from reports.models import DailySales


@admin.register(DailySales)
class DailySalesAdmin(ReadOnlyAdmin):
    """Sales by day, as the order events report them; kept by the reports.sales consumer."""

    list_display = (
        "day",
        "currency",
        "orders_placed",
        "gross_placed",
        "orders_cancelled",
        "gross_cancelled",
        "net_sales",
    )
    list_filter = ("currency",)
    date_hierarchy = "day"

    @admin.display(description="net sales")
    def net_sales(self, obj: DailySales) -> Decimal:
        return obj.net_sales
