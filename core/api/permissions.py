"""Permissions for staff endpoints: the Django model permissions that the staff roles grant."""

from typing import Any, ClassVar

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Like DRF's, but reading needs the `view_` permission too: staff endpoints are not public."""

    perms_map: dict[str, list[str]] = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(super().has_permission(request, view))


class StaffModelPermission(BasePermission):
    """Staff whose role grants `<app_label>.view_<model>` (to read) or `<app_label>.change_<model>`
    (to act); the model is the view's `permission_model`, else the class's `default_model`. A
    superuser, or an operator granted the permissions directly, passes too."""

    app_label: ClassVar[str]
    default_model: ClassVar[str] = ""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        model = getattr(view, "permission_model", "") or self.default_model
        action = "view" if request.method in SAFE_METHODS else "change"
        return bool(user.has_perm(f"{self.app_label}.{action}_{model}"))
