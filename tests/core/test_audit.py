"""The audit trail records every staff change, in the admin and in the staff API, with who, when,
what changed and from where; it is searchable in the admin and the database refuses to change it."""

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, transaction
from django.test import Client

from accounts import services as accounts
from accounts.roles import CATALOG_MANAGER, SUPPORT
from catalog.models import Variant
from core.models import AuditEntry
from tests.api.support import signed_in
from tests.catalog import factories
from tests.catalog.test_admin import variant_form

pytestmark = pytest.mark.django_db


def member(email: str, role: str):  # type: ignore[no-untyped-def]
    staff = accounts.create_staff_member(email=email, password="shelf-stacker-2024")
    staff.groups.add(Group.objects.get(name=role))
    return staff


@pytest.fixture
def variant() -> Variant:
    return factories.product("Apples", price="2.00").variants.get()


def test_an_admin_edit_is_recorded_with_before_after_who_and_where(variant: Variant) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(member("cat@example.com", CATALOG_MANAGER))
    response = client.post(f"/admin/catalog/variant/{variant.pk}/change/", variant_form(variant, price="1.79"))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="catalog.variant", action="update")
    assert (entry.actor_email, entry.channel, entry.ip_address, entry.object_id) == (
        "cat@example.com",
        "admin",
        "10.1.2.3",
        str(variant.pk),
    )
    assert entry.changes["price"] == ["2.00", "1.79"]
    assert entry.path == f"/admin/catalog/variant/{variant.pk}/change/"
    assert "updated_at" in entry.changes or "version" in entry.changes  # bookkeeping shown, not alone


def test_a_staff_api_edit_is_recorded_and_a_customer_change_is_not(variant: Variant) -> None:
    client = signed_in(member("feed@example.com", CATALOG_MANAGER))
    response = client.patch(f"/api/v1/staff/catalog/variants/{variant.pk}/", {"price": "2.49", "version": 1})
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(object_type="catalog.variant")
    assert (entry.actor_email, entry.channel, entry.action) == ("feed@example.com", "api", "update")
    assert entry.changes["price"] == ["2.00", "2.49"]
    assert entry.request_id == response["X-Request-ID"]


def test_the_trail_cannot_be_changed_or_deleted_even_in_sql(variant: Variant) -> None:
    client = signed_in(member("feed@example.com", CATALOG_MANAGER))
    client.patch(f"/api/v1/staff/catalog/variants/{variant.pk}/", {"price": "2.49", "version": 1})
    entry = AuditEntry.objects.get()
    for attempt in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor_email="someone@else"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditEntry.objects.get().actor_email == "feed@example.com"


def test_the_trail_is_searchable_in_the_admin_and_read_only(admin_client: Client, variant: Variant) -> None:
    client = signed_in(member("feed@example.com", CATALOG_MANAGER))
    client.patch(f"/api/v1/staff/catalog/variants/{variant.pk}/", {"price": "2.49", "version": 1})
    entry = AuditEntry.objects.get()
    found = admin_client.get("/admin/core/auditentry/", {"q": "feed@example"})
    assert list(found.context["cl"].result_list) == [entry]
    assert admin_client.get("/admin/core/auditentry/", {"q": "nobody"}).context["cl"].result_count == 0
    detail = admin_client.get(f"/admin/core/auditentry/{entry.pk}/change/").content.decode()
    assert "2.00" in detail and "2.49" in detail
    assert admin_client.post(f"/admin/core/auditentry/{entry.pk}/delete/").status_code == 403
    support = Client()
    support.force_login(member("help@example.com", SUPPORT))
    assert support.get("/admin/core/auditentry/").status_code == 403
