"""Permissions for staff endpoints: the Django model permissions that the staff roles grant."""

from typing import Any

from rest_framework.permissions import DjangoModelPermissions


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
