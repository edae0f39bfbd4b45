"""Who may use the staff stock endpoints: staff whose role grants the stock item permissions
(the Warehouse role has inventory.*; a superuser has everything)."""

from core.api.permissions import StaffModelPermission


class StockPermission(StaffModelPermission):
    app_label = "inventory"
    default_model = "stockitem"
    message = "Only warehouse staff can do this."
