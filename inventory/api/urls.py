from django.urls import path

from inventory.api import views

urlpatterns = [
    path("inventory/availability/", views.AvailabilityView.as_view(), name="inventory-availability"),
    path("staff/inventory/stock/", views.StaffStockListView.as_view(), name="staff-inventory-stock"),
    path("staff/inventory/adjustments/", views.StaffAdjustmentView.as_view(), name="staff-inventory-adjustments"),
    path("staff/inventory/receipts/", views.StaffReceiptView.as_view(), name="staff-inventory-receipts"),
]
