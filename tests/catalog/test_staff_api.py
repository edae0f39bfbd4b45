"""Staff change variants over HTTP (the ERP's price feed does too): catalog permissions needed,
`version` required, a stale one refused with 409 and nothing changed."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts import services as accounts
from accounts.roles import CATALOG_MANAGER, WAREHOUSE
from catalog.models import Variant
from tests.api.support import api, error_of, make_customer, signed_in
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def staff(email: str, role: str) -> object:
    member = accounts.create_staff_member(email=email, password="shelf-stacker-2024")
    member.groups.add(Group.objects.get(name=role))
    return member


@pytest.fixture
def variant() -> Variant:
    return factories.product("Apples", price="2.00").variants.get()


def url(variant: Variant) -> str:
    return f"/api/v1/staff/catalog/variants/{variant.pk}/"


def test_a_catalog_manager_changes_a_price_with_the_version_read(variant: Variant) -> None:
    client = signed_in(staff("cat@example.com", CATALOG_MANAGER))  # type: ignore[arg-type]
    read = client.get(url(variant)).json()
    assert (read["price"], read["version"], read["is_active"]) == ("2.00", 1, True)

    response = client.patch(url(variant), {"price": "1.79", "compare_at_price": "2.00", "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["price"], response.json()["compare_at_price"], response.json()["version"]) == (
        "1.79",
        "2.00",
        2,
    )


def test_a_stale_version_gets_409_and_changes_nothing(variant: Variant) -> None:
    client = signed_in(staff("cat@example.com", CATALOG_MANAGER))  # type: ignore[arg-type]
    assert client.patch(url(variant), {"price": "1.50", "version": 1}).status_code == 200
    body = error_of(client.patch(url(variant), {"price": "9.99", "version": 1}), 409, "stale_version")
    assert "reload" in body["message"]
    variant.refresh_from_db()
    assert (variant.price, variant.version) == (Decimal("1.50"), 2)


def test_the_version_is_required(variant: Variant) -> None:
    client = signed_in(staff("cat@example.com", CATALOG_MANAGER))  # type: ignore[arg-type]
    assert "version" in error_of(client.patch(url(variant), {"price": "1.50"}), 400, "invalid")["fields"]


def test_customers_and_other_roles_cannot_change_prices(variant: Variant) -> None:
    customer = signed_in(make_customer())
    error_of(customer.get(url(variant)), 403, "permission_denied")
    error_of(customer.patch(url(variant), {"price": "0.01", "version": 1}), 403, "permission_denied")
    warehouse = signed_in(staff("wh@example.com", WAREHOUSE))  # type: ignore[arg-type]
    assert warehouse.get(url(variant)).status_code == 200  # may look (catalog.view_*)
    error_of(warehouse.patch(url(variant), {"price": "0.01", "version": 1}), 403, "permission_denied")
    error_of(api().patch(url(variant), {"price": "0.01", "version": 1}), 401, "not_authenticated")
    variant.refresh_from_db()
    assert (variant.price, variant.version) == (Decimal("2.00"), 1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"price": "1.999", "version": 1}, "price"),
        ({"price": "-1", "version": 1}, "price"),
        ({"price": "abc", "version": 1}, "price"),
        ({"compare_at_price": "1.00", "version": 1}, "compare_at_price"),
        ({"product": 99, "version": 1}, "product"),
        ({"sku": "NEW", "version": 1}, "sku"),
        ({"currency": "USD", "version": 1}, "currency"),
        ({"step": "0.5", "version": 1}, "step"),
        ({"barcode": "123", "version": 1}, "barcode"),
        ({"version": "one"}, "version"),
    ],
)
def test_invalid_changes_are_400_and_change_nothing(variant: Variant, body: dict[str, object], field: str) -> None:
    client = signed_in(staff("cat@example.com", CATALOG_MANAGER))  # type: ignore[arg-type]
    assert field in error_of(client.patch(url(variant), body), 400)["fields"]
    variant.refresh_from_db()
    assert (variant.price, variant.version, variant.sku) == (Decimal("2.00"), 1, variant.sku)


def test_an_unknown_variant_is_404() -> None:
    client = signed_in(staff("cat@example.com", CATALOG_MANAGER))  # type: ignore[arg-type]
    error_of(client.patch("/api/v1/staff/catalog/variants/999999/", {"price": "1.00", "version": 1}), 404)
