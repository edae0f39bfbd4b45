"""The catalog admin writes through the services: versions, rules and cache invalidation hold
there as in the API; roles decide who may change what."""

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts import services as accounts
from accounts.roles import CATALOG_MANAGER, WAREHOUSE
from catalog import services
from catalog.models import Product, Variant
from tests.api.support import api
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def staff_client(role: str, email: str = "cat@example.com") -> Client:
    member = accounts.create_staff_member(email=email, password="shelf-stacker-2024")
    member.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(member)
    return client


def variant_form(variant: Variant, **changes: Any) -> dict[str, Any]:
    values = {
        "sku": variant.sku,
        "name": variant.name,
        "price": str(variant.price),
        "compare_at_price": "",
        "currency": variant.currency,
        "unit": variant.unit,
        "step": str(variant.step),
        "barcode": "",
        "weight_kg": "",
        "position": str(variant.position),
        "is_active": "on",
        "version": str(variant.version),
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_a_price_changed_in_the_admin_is_in_the_next_listing(django_capture_on_commit_callbacks: Any) -> None:
    apples = factories.product("Apples", price="2.00")
    variant = apples.variants.get()
    client = staff_client(CATALOG_MANAGER)
    assert api().get("/api/v1/catalog/products/").json()["results"][0]["price_from"] == "2.00"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/catalog/variant/{variant.pk}/change/", variant_form(variant, price="1.79"))
    assert response.status_code == 302, response.content.decode()[:3000]
    variant.refresh_from_db()
    assert (variant.price, variant.version) == (Decimal("1.79"), 2)
    listing = api().get("/api/v1/catalog/products/")
    assert listing["X-Cache"] == "MISS" and listing.json()["results"][0]["price_from"] == "1.79"


def test_a_stale_admin_form_shows_an_error_and_saves_nothing() -> None:
    variant = factories.product("Apples", price="2.00").variants.get()
    client = staff_client(CATALOG_MANAGER)
    services.update_variant(variant.pk, {"price": Decimal("2.20")})  # someone else, after the page was opened
    response = client.post(f"/admin/catalog/variant/{variant.pk}/change/", variant_form(variant, price="1.00"))
    assert response.status_code == 200
    assert "Someone else changed this" in response.content.decode()
    variant.refresh_from_db()
    assert (variant.price, variant.version) == (Decimal("2.20"), 2)


def test_the_services_rules_show_on_the_admin_form() -> None:
    variant = factories.product("Apples", price="2.00").variants.get()
    client = staff_client(CATALOG_MANAGER)
    response = client.post(
        f"/admin/catalog/variant/{variant.pk}/change/",
        variant_form(variant, barcode="4006381333932", currency="USD", compare_at_price="1.00"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"barcode", "currency"} <= set(errors) and "__all__" in errors  # the compare-at CHECK constraint
    variant.refresh_from_db()
    assert variant.version == 1


def test_bulk_deactivation_goes_through_the_service() -> None:
    kept, first, second = (factories.product(name) for name in ("Kept", "First", "Second"))
    client = staff_client(CATALOG_MANAGER)
    response = client.post(
        "/admin/catalog/product/", {"action": "deactivate", "_selected_action": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    assert dict(Product.objects.values_list("name", "is_active")) == {"Kept": True, "First": False, "Second": False}
    assert dict(Product.objects.values_list("name", "version")) == {"Kept": 1, "First": 2, "Second": 2}
    assert [p["name"] for p in api().get("/api/v1/catalog/products/").json()["results"]] == ["Kept"]
    assert kept.pk


def test_search_by_sku_and_autocomplete_of_relations() -> None:
    fruit = factories.category("Fruit")
    factories.product("Apples", fruit, variants=[{"price": "1.00", "sku": "APL-123"}])
    factories.product("Pears", fruit)
    client = staff_client(CATALOG_MANAGER)
    found = client.get("/admin/catalog/product/", {"q": "APL-123"}).context["cl"].result_list
    assert [p.name for p in found] == ["Apples"]
    completed = client.get(
        "/admin/autocomplete/",
        {"app_label": "catalog", "model_name": "product", "field_name": "category", "term": "Fru"},
    ).json()
    assert [r["text"] for r in completed["results"]] == ["Fruit"]


def test_the_warehouse_may_look_but_not_change_the_catalog() -> None:
    apples = factories.product("Apples")
    client = staff_client(WAREHOUSE, email="wh@example.com")
    assert client.get("/admin/catalog/product/").status_code == 200
    response = client.post("/admin/catalog/product/", {"action": "deactivate", "_selected_action": [apples.pk]})
    apples.refresh_from_db()
    assert apples.is_active and response.status_code in (200, 302, 403)
    assert client.post(f"/admin/catalog/product/{apples.pk}/change/", {"name": "Hacked"}).status_code == 403


def test_a_product_is_added_with_its_variants_and_images_in_one_form(django_capture_on_commit_callbacks: Any) -> None:
    fruit = factories.category("Fruit")
    client = staff_client(CATALOG_MANAGER)
    form = {
        "name": "Kiwis",
        "slug": "kiwis",
        "category": str(fruit.pk),
        "brand": "",
        "description": "Green.",
        "attributes": '{"origin": "NZ"}',
        "is_active": "on",
        "version": "",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-sku": "kiw-kg",
        "variants-0-name": "per kg",
        "variants-0-price": "4.99",
        "variants-0-currency": "EUR",
        "variants-0-unit": "kg",
        "variants-0-step": "0.1",
        "variants-0-position": "0",
        "variants-0-is_active": "on",
        "variants-0-version": "",
        "variants-1-sku": "KIW-3",
        "variants-1-name": "3 pack",
        "variants-1-price": "1.99",
        "variants-1-currency": "EUR",
        "variants-1-unit": "piece",
        "variants-1-step": "1",
        "variants-1-position": "1",
        "variants-1-is_active": "on",
        "variants-1-version": "",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "images-0-url": "https://img.example.com/kiwi.jpg",
        "images-0-alt_text": "Kiwis",
        "images-0-position": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/catalog/product/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    kiwis = Product.objects.get(name="Kiwis")
    assert (kiwis.slug, kiwis.attributes) == ("kiwis", {"origin": "NZ"})
    assert sorted(kiwis.variants.values_list("sku", "unit")) == [("KIW-3", "piece"), ("KIW-KG", "kg")]
    assert kiwis.images.get().url == "https://img.example.com/kiwi.jpg"
    listed = api().get("/api/v1/catalog/products/", {"q": "kiwi"}).json()["results"]
    assert [(p["name"], p["price_from"]) for p in listed] == [("Kiwis", "1.99")]
