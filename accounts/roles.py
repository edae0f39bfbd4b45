"""Staff roles: a Django group per role, with the permissions the role needs.

A role names permissions as "app_label.codename", where the codename may end in "*"
("inventory.*", "orders.view_*"). Apps that land later (inventory, orders, ...) create their
permissions after this app's migration ran, so the groups are created by a data migration and
topped up after every `migrate` (post_migrate): a role picks up the permissions of new models
without anyone editing the groups by hand. Topping up only adds: extra permissions an operator
grants a group in the admin stay; one the role names comes back on the next migrate (roles are
code, reviewed like code).
"""

from fnmatch import fnmatchcase
from typing import Any

CATALOG_MANAGER = "Catalog manager"
WAREHOUSE = "Warehouse"
SUPPORT = "Support"
FINANCE = "Finance"
DISPATCHER = "Dispatcher"
ANALYST = "Analyst"
MARKETING = "Marketing"

# Report families (reports.catalogue): seeing and running them, and the runs' list and downloads.
_REPORT_RUNS = ("reports.view_reportrun", "reports.add_reportrun")

ROLES: dict[str, tuple[str, ...]] = {
    # Runs the assortment: categories, brands, products, variants, prices, images.
    CATALOG_MANAGER: ("catalog.*",),
    # Receives, counts and picks stock; sees what it picks for.
    WAREHOUSE: (
        "inventory.*",
        "catalog.view_*",
        "orders.view_*",
        "orders.change_*",
        "reports.access_inventory_reports",
        "reports.*_replenishmentpolicy",
        *_REPORT_RUNS,
    ),
    # Helps customers: their accounts and addresses (never staff accounts), their orders, their messages.
    SUPPORT: (
        "accounts.view_customer",
        "accounts.change_customer",
        "accounts.export_customer_data",  # on the customer's request (privacy)
        "accounts.erase_customer",
        "accounts.view_address",
        "accounts.change_address",
        "catalog.view_*",
        "orders.view_*",
        "orders.change_*",
        "delivery.view_*",
        "payments.view_*",
        # The messages the customer got (and sending a failed one again), their language and SMS choice.
        "notifications.view_*",
        "notifications.change_*",
        "notifications.add_contactpreference",
        "invoicing.view_*",
        "invoicing.resend_document",
    ),
    # Money: payments and refunds, the sales and payments reports.
    FINANCE: (
        "payments.*",
        "invoicing.*",
        "orders.view_*",
        "accounts.view_customer",
        "reports.view_dailysales",
        "reports.access_sales_reports",
        "reports.access_payments_reports",
        *_REPORT_RUNS,
    ),
    # Slots, zones, couriers and the routes of the day.
    DISPATCHER: (
        "delivery.*",
        "orders.view_*",
        "accounts.view_address",
        "reports.access_operations_reports",
        *_REPORT_RUNS,
    ),
    # Promotions and voucher codes; reads the assortment they target and the orders that used them.
    MARKETING: ("promotions.*", "catalog.view_*", "orders.view_order", "orders.view_orderline"),
    # Every report and run, and read access to what they are computed from.
    ANALYST: ("reports.*", "catalog.view_*", "orders.view_*", "inventory.view_*", "delivery.view_*", "payments.view_*"),
}


def permissions_for(patterns: tuple[str, ...], permission_model: Any) -> list[Any]:
    """The existing permissions matching the role's patterns."""
    app_labels = {pattern.partition(".")[0] for pattern in patterns}
    candidates = permission_model.objects.filter(content_type__app_label__in=app_labels).select_related("content_type")
    return [
        permission
        for permission in candidates
        if any(
            fnmatchcase(f"{permission.content_type.app_label}.{permission.codename}", pattern) for pattern in patterns
        )
    ]


def sync_roles(group_model: Any, permission_model: Any) -> dict[str, int]:
    """Create the role groups if missing and add the permissions they lack; returns how many
    permissions each group gained. Works with historical models inside a migration too."""
    gained: dict[str, int] = {}
    for role, patterns in ROLES.items():
        # Case-insensitive: an app's own migration may have created the role's group already
        # (payments creates "finance"); one group per role, whoever came first.
        group = group_model.objects.filter(name__iexact=role).first() or group_model.objects.create(name=role)
        wanted = {permission.pk for permission in permissions_for(patterns, permission_model)}
        present = set(group.permissions.values_list("pk", flat=True))
        missing = wanted - present
        if missing:
            group.permissions.add(*missing)
        gained[role] = len(missing)
    return gained
