"""Demo data of the accounts app: a staff login for the back office."""

from accounts.models import User

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_ADMIN_PASSWORD = "admin"  # noqa: S105  (demo data, printed to the newcomer on purpose)


def load() -> list[str]:
    """Create the demo staff account if missing; return lines to show the newcomer."""
    if not User.objects.filter(email=DEMO_ADMIN_EMAIL).exists():
        User.objects.create_superuser(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, first_name="Demo")
    return [f"Admin login: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}"]
