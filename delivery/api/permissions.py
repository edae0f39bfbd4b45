"""Who may use the staff delivery endpoints: dispatchers, through the delivery model permissions
their role grants (so a superuser, or an operator given the permissions, may too)."""

from core.api.permissions import StaffModelPermission


class DispatcherPermission(StaffModelPermission):
    """Reading needs `delivery.view_<model>`, changing needs `delivery.change_<model>`; the view
    names its model in `permission_model`."""

    app_label = "delivery"
    message = "Only dispatchers can do this."
