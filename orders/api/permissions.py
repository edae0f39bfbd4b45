"""Who may use the staff order endpoints."""

from typing import Any

from core.api.permissions import StaffModelPermission


class OrderStaffPermission(StaffModelPermission):
    """Reading needs orders.view_order, acting (picking, packing, cancelling) orders.change_order:
    the warehouse and support roles."""

    app_label = "orders"
    default_model = "order"
    message = "Only warehouse or support staff can do this."


class RefundPermission(StaffModelPermission):
    """Refunds move money: the finance role's payments.refund_payment, and seeing orders."""

    app_label = "orders"
    default_model = "order"
    message = "Only finance staff can refund orders."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and user.has_perm("orders.view_order")
            and user.has_perm("payments.refund_payment")
        )
