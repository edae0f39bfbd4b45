"""The finance role's group, for the demo data and the tests (the migrations create it)."""

from django.contrib.auth.models import Group, Permission

FINANCE_GROUP = "finance"


def ensure_finance_group() -> Group:
    """The finance role: sees payments and captures, voids and refunds them (the payments data
    migration creates it; this tops it up, e.g. after a test database was flushed)."""
    group = Group.objects.filter(name__iexact=FINANCE_GROUP).first() or Group.objects.create(name=FINANCE_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="payments"))
    return group
