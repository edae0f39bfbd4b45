"""Staff roles are groups made by a migration, and the back office splits customers from staff:
support edits customers (through the services), never staff accounts or anyone's roles."""

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts import services
from accounts.models import User
from accounts.roles import CATALOG_MANAGER, DISPATCHER, FINANCE, ROLES, SUPPORT, WAREHOUSE, sync_roles
from events.models import OutboxEvent
from tests.api.support import make_customer

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    group = Group.objects.get(name__iexact=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_created_every_role_with_fitting_permissions() -> None:
    assert {name.lower() for name in Group.objects.values_list("name", flat=True)} >= {r.lower() for r in ROLES}
    catalog = perms(CATALOG_MANAGER)
    assert {"catalog.change_product", "catalog.add_variant", "catalog.delete_category", "catalog.view_brand"} <= catalog
    assert not any(p.startswith("accounts.") for p in catalog)
    warehouse = perms(WAREHOUSE)
    assert "catalog.view_product" in warehouse and "catalog.change_variant" not in warehouse
    support = perms(SUPPORT)
    assert {"accounts.view_customer", "accounts.change_customer", "accounts.change_address"} <= support
    assert not {"accounts.change_staffmember", "accounts.change_user", "auth.change_group"} & support
    assert "accounts.view_customer" in perms(FINANCE)
    assert "accounts.view_address" in perms(DISPATCHER)


def test_syncing_again_adds_only_what_is_missing() -> None:
    assert set(sync_roles(Group, Permission).values()) == {0}
    group = Group.objects.get(name=CATALOG_MANAGER)
    group.permissions.remove(Permission.objects.get(codename="change_product"))
    assert sync_roles(Group, Permission)[CATALOG_MANAGER] == 1
    assert "catalog.change_product" in perms(CATALOG_MANAGER)


def admin_as(role: str | None, email: str = "staff@example.com") -> tuple[Client, User]:
    member = services.create_staff_member(email=email, password="back-office-2024")
    if role:
        member.groups.add(Group.objects.get(name__iexact=role))
    client = Client()
    client.force_login(member)
    return client, member


def test_customers_and_staff_are_listed_apart() -> None:
    make_customer("ann@example.com")
    client, _ = admin_as(None)
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-123"))
    customers = {u.email for u in client.get("/admin/accounts/customer/").context["cl"].result_list}
    staff = {u.email for u in client.get("/admin/accounts/staffmember/").context["cl"].result_list}
    assert customers == {"ann@example.com"}
    assert staff == {"root@example.com", "staff@example.com"}


def test_support_edits_a_customer_through_the_service_and_cannot_touch_staff() -> None:
    customer = make_customer("ann@example.com", first_name="Ann")
    client, support = admin_as(SUPPORT)
    form = client.get(f"/admin/accounts/customer/{customer.pk}/change/").content.decode()
    assert 'name="is_staff"' not in form and 'name="groups"' not in form and 'name="is_superuser"' not in form

    response = client.post(
        f"/admin/accounts/customer/{customer.pk}/change/",
        {
            "email": "ann@example.com",
            "first_name": "Annie",
            "last_name": "",
            "phone": "",
            "is_active": "on",
            "version": "1",
            "is_staff": "on",
            "is_superuser": "on",  # smuggled: not fields of the form
            **inline_management_forms(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Annie", 2)
    assert not customer.is_staff and not customer.is_superuser
    assert OutboxEvent.objects.filter(event_type="user.updated", aggregate_id=str(customer.pk)).count() == 1

    assert client.get(f"/admin/accounts/customer/{support.pk}/change/").status_code in (302, 404)  # not a customer
    assert client.get("/admin/accounts/staffmember/").status_code == 403
    assert client.get(f"/admin/accounts/staffmember/{support.pk}/change/").status_code == 403


def test_a_stale_customer_form_is_refused() -> None:
    customer = make_customer("ann@example.com", first_name="Ann")
    client, _ = admin_as(SUPPORT)
    services.update_user_by_staff(customer.pk, {"first_name": "Anna"})  # someone else, meanwhile
    response = client.post(
        f"/admin/accounts/customer/{customer.pk}/change/",
        {
            "email": "ann@example.com",
            "first_name": "Annie",
            "last_name": "",
            "phone": "",
            "is_active": "on",
            "version": "1",
            **inline_management_forms(),
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this" in response.content.decode()
    customer.refresh_from_db()
    assert customer.first_name == "Anna"


def test_support_adds_a_customer_who_gets_the_registered_event() -> None:
    client, _ = admin_as(SUPPORT)
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-123"))  # may add
    response = client.post(
        "/admin/accounts/customer/add/",
        {
            "email": "Cleo@Example.com",
            "first_name": "Cleo",
            "last_name": "",
            "phone": "",
            "password": "pear-jam-2024x",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(email="cleo@example.com")
    assert not created.is_staff
    assert OutboxEvent.objects.filter(event_type="user.registered", aggregate_id=str(created.pk)).exists()


def inline_management_forms() -> dict[str, Any]:
    forms = {}
    for prefix in ("addresses", "access_tokens"):
        forms.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return forms
