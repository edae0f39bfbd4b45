"""Demo data of the accounts app: a staff login for the back office, a catalog manager, and a
customer with an address for the API (signing up asks for the verification e-mail, which
notifications sends to the console e-mail backend of `make run`)."""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts import services
from accounts.models import User
from accounts.roles import CATALOG_MANAGER

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_ADMIN_PASSWORD = "admin"  # noqa: S105  (demo data, printed to the newcomer on purpose)
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_CUSTOMER_PASSWORD = "fresh-basket-42"  # noqa: S105  (demo data, printed on purpose)
DEMO_CATALOG_EMAIL = "catalog@example.com"
DEMO_CATALOG_PASSWORD = "assortment-2024"  # noqa: S105  (demo data, printed on purpose)


def load() -> list[str]:
    """Create the demo accounts if missing; return lines to show the newcomer."""
    if not User.objects.filter(email=DEMO_ADMIN_EMAIL).exists():
        User.objects.create_superuser(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, first_name="Demo")
    if not User.objects.filter(email=DEMO_CATALOG_EMAIL).exists():
        manager = services.create_staff_member(
            email=DEMO_CATALOG_EMAIL, password=DEMO_CATALOG_PASSWORD, first_name="Cat", last_name="Manager"
        )
        with transaction.atomic():
            manager.groups.add(Group.objects.get(name=CATALOG_MANAGER))
    if not User.objects.filter(email=DEMO_CUSTOMER_EMAIL).exists():
        customer = services.register_customer(
            email=DEMO_CUSTOMER_EMAIL,
            password=DEMO_CUSTOMER_PASSWORD,
            first_name="Dana",
            last_name="Demo",
            phone="+49 151 23456789",
        )
        services.create_address(
            customer.pk,
            {
                "label": "Home",
                "recipient_name": "Dana Demo",
                "line1": "Invalidenstraße 116",
                "city": "Berlin",
                "postal_code": "10115",
                "country": "DE",
                "phone": "+49 151 23456789",
            },
        )
    return [
        f"Admin login: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}",
        f"Catalog manager login (admin): {DEMO_CATALOG_EMAIL} / {DEMO_CATALOG_PASSWORD}",
        f"Customer login (API, POST /api/v1/auth/login/): {DEMO_CUSTOMER_EMAIL} / {DEMO_CUSTOMER_PASSWORD}",
        "Account e-mails (verification, password reset, new address, data export) are printed on this "
        "console: try POST /api/v1/auth/password-reset/ or GET /api/v1/me/export/",
    ]
