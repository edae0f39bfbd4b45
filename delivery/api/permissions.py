"""Who may use the staff delivery endpoints: dispatchers, through the delivery model permissions
their role grants (so a superuser, or an operator given the permissions, may too)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class DispatcherPermission(BasePermission):
    """Reading needs `delivery.view_<model>`, changing needs `delivery.change_<model>`; the view
    names its model in `permission_model`."""

    message = "Only dispatchers can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        action = "view" if request.method in READ_METHODS else "change"
        return bool(user.has_perm(f"delivery.{action}_{view.permission_model}"))
