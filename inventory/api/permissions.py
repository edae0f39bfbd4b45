"""Who may use the staff stock endpoints: staff whose role grants the stock item permissions
(the Warehouse role has inventory.*; a superuser has everything)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class StockPermission(BasePermission):
    message = "Only warehouse staff can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        action = "view" if request.method in READ_METHODS else "change"
        return bool(user.has_perm(f"inventory.{action}_stockitem"))
