"""Browsing the catalog: what is visible, filters, sorting, pagination, and a query count that does
not grow with the page size."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import Unit
from tests.api.support import api, error_of
from tests.catalog import factories

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [item["name"] for item in response.json()["results"]]


def test_a_product_shows_its_variants_with_money_and_quantities_as_strings() -> None:
    fruit = factories.category("Fruit")
    bananas = factories.product(
        "Bananas",
        fruit,
        variants=[
            {"price": "1.99", "unit": Unit.KILOGRAM, "step": "0.1", "name": "loose, per kg", "sku": "BAN-KG"},
            {
                "price": "2.49",
                "compare_at_price": Decimal("2.99"),
                "name": "bunch of 5",
                "sku": "BAN-5",
                "weight_kg": Decimal("0.9"),
            },
        ],
        attributes={"origin": "EC"},
    )
    services.add_image(bananas.pk, {"url": "https://img.example.com/bananas.jpg", "alt_text": "Bananas"})

    item = api().get(PRODUCTS).json()["results"][0]

    assert item["name"] == "Bananas" and item["slug"] == bananas.slug
    assert item["category"] == {"id": fruit.pk, "name": "Fruit", "slug": fruit.slug}
    assert item["image"] == {"url": "https://img.example.com/bananas.jpg", "alt_text": "Bananas"}
    assert item["attributes"] == {"origin": "EC"}
    assert (item["price_from"], item["currency"]) == ("1.99", "EUR")
    by_weight, bunch = item["variants"]
    assert by_weight | {"id": 0} == {
        "id": 0,
        "sku": "BAN-KG",
        "barcode": None,
        "name": "loose, per kg",
        "price": "1.99",
        "compare_at_price": None,
        "currency": "EUR",
        "unit": "kg",
        "step": "0.1",
        "weight_kg": None,
    }
    assert (bunch["price"], bunch["compare_at_price"], bunch["step"]) == ("2.49", "2.99", "1")
    assert bunch["weight_kg"] == "0.9"


def test_only_what_customers_may_buy_is_listed() -> None:
    shown = factories.category("Shown")
    hidden_category = factories.category("Hidden", is_active=False)
    factories.product("Visible", shown)
    factories.product("Inactive product", shown, is_active=False)
    factories.product("In an inactive category", hidden_category)
    factories.product("Nothing to sell", shown, variants=[])
    only_inactive_variant = factories.product("Only an inactive variant", shown)
    services.set_variants_active(list(only_inactive_variant.variants.values_list("pk", flat=True)), False)
    with_one_inactive = factories.product(
        "One of two variants inactive", shown, variants=[{"price": "1.00"}, {"price": "2.00", "is_active": False}]
    )

    assert names(api().get(PRODUCTS)) == ["One of two variants inactive", "Visible"]
    detail = api().get(f"{PRODUCTS}{with_one_inactive.pk}/").json()
    assert [v["price"] for v in detail["variants"]] == ["1.00"]
    hidden = factories.product("Hidden again", shown, is_active=False)
    error_of(api().get(f"{PRODUCTS}{hidden.pk}/"), 404, "not_found")


def test_a_category_filter_includes_its_sub_categories_by_id_or_slug() -> None:
    fruit_veg = factories.category("Fruit and veg")
    fruit = factories.category("Fruit", parent=fruit_veg)
    citrus = factories.category("Citrus", parent=fruit)
    dairy = factories.category("Dairy")
    factories.product("Lemons", citrus)
    factories.product("Apples", fruit)
    factories.product("Carrots", fruit_veg)
    factories.product("Milk", dairy)

    assert names(api().get(PRODUCTS, {"category": fruit_veg.pk})) == ["Apples", "Carrots", "Lemons"]
    assert names(api().get(PRODUCTS, {"category": fruit.slug})) == ["Apples", "Lemons"]
    assert names(api().get(PRODUCTS, {"category": citrus.pk})) == ["Lemons"]
    error_of(api().get(PRODUCTS, {"category": "no-such-category"}), 400, "invalid")


def test_price_range_brand_and_attribute_filters() -> None:
    fruit = factories.category()
    sunny, valley = factories.brand("Sunny"), factories.brand("Valley")
    factories.product("Cheap apples", fruit, price="0.99", brand=sunny, attributes={"origin": "ES", "organic": True})
    factories.product("Dear apples", fruit, price="5.49", brand=valley, attributes={"origin": "NZ", "organic": False})
    factories.product(
        "Mid apples",
        fruit,
        variants=[{"price": "0.50"}, {"price": "3.00"}],
        attributes={"origin": "ES", "allergens": ["none"], "size": 7},
    )

    client = api()
    assert names(client.get(PRODUCTS, {"price_min": "1", "price_max": "4"})) == ["Mid apples"]
    assert names(client.get(PRODUCTS, {"price_max": "0.99"})) == ["Cheap apples", "Mid apples"]
    assert names(client.get(PRODUCTS, {"brand": f"{sunny.slug},{valley.slug}"})) == ["Cheap apples", "Dear apples"]
    assert names(client.get(PRODUCTS, {"attr": "origin:ES"})) == ["Cheap apples", "Mid apples"]
    assert names(client.get(PRODUCTS, {"attr": ["origin:ES", "organic:true"]})) == ["Cheap apples"]
    assert names(client.get(PRODUCTS, {"attr": "organic:false"})) == ["Dear apples"]
    assert names(client.get(PRODUCTS, {"attr": "allergens:none"})) == ["Mid apples"]  # inside a list
    assert names(client.get(PRODUCTS, {"attr": "size:7"})) == ["Mid apples"]
    assert names(client.get(PRODUCTS, {"attr": "size:1e999"})) == []  # too large for a number: text, no match
    error_of(client.get(PRODUCTS, {"price_min": "5", "price_max": "1"}), 400, "invalid")
    assert "attr" in error_of(client.get(PRODUCTS, {"attr": "Origin=ES"}), 400)["fields"]


def test_sorting_by_price_name_and_newest_with_stable_ties() -> None:
    fruit = factories.category()
    factories.product("Banana", fruit, price="2.00")
    factories.product("Apple", fruit, variants=[{"price": "3.00"}, {"price": "0.50"}])
    factories.product("Cherry", fruit, price="2.00")

    client = api()
    assert names(client.get(PRODUCTS)) == ["Apple", "Banana", "Cherry"]
    assert names(client.get(PRODUCTS, {"sort": "-name"})) == ["Cherry", "Banana", "Apple"]
    assert names(client.get(PRODUCTS, {"sort": "price"})) == ["Apple", "Banana", "Cherry"]
    assert names(client.get(PRODUCTS, {"sort": "-price"})) == ["Banana", "Cherry", "Apple"]
    assert names(client.get(PRODUCTS, {"sort": "newest"})) == ["Cherry", "Apple", "Banana"]
    error_of(client.get(PRODUCTS, {"sort": "cheapest"}), 400, "invalid")


def test_pages_are_capped_and_link_to_each_other_without_junk_parameters() -> None:
    fruit = factories.category()
    for n in range(105):
        factories.product(f"Product {n:03d}", fruit)

    first = api().get(PRODUCTS, {"page_size": 1000, "sort": "name", "utm_source": "newsletter"}).json()
    assert first["count"] == 105 and len(first["results"]) == 100  # capped at 100
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/catalog/products/?sort=name&page=2&page_size=100"
    second = api().get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert second["results"][0]["name"] == "Product 100"

    default = api().get(PRODUCTS).json()
    assert len(default["results"]) == 20
    error_of(api().get(PRODUCTS, {"page": 7}), 404, "page_not_found")
    assert "page" in error_of(api().get(PRODUCTS, {"page": "0"}), 400)["fields"]
    assert "page_size" in error_of(api().get(PRODUCTS, {"page_size": "ten"}), 400)["fields"]


def test_the_query_count_does_not_grow_with_the_page_size(django_assert_max_num_queries: Any) -> None:
    brands = [factories.brand(f"Brand {n}") for n in range(3)]
    categories = [factories.category(f"Category {n}") for n in range(3)]
    for n in range(60):
        made = factories.product(
            f"Product {n:02d}",
            categories[n % 3],
            brand=brands[n % 3],
            variants=[{"price": "1.00"}, {"price": "2.00", "unit": Unit.KILOGRAM, "step": "0.5"}],
        )
        services.add_image(made.pk, {"url": f"https://img.example.com/{n}.jpg"})

    counts = {}
    for page_size in (1, 10, 60):
        # The count and the page with its variants and images: one statement for any page size.
        with django_assert_max_num_queries(1), CaptureQueriesContext(connection) as queries:
            response = api().get(PRODUCTS, {"page_size": page_size})
        assert response.status_code == 200 and response["X-Cache"] == "MISS"
        assert len(response.json()["results"]) == page_size
        counts[page_size] = len(queries)
    assert len(set(counts.values())) == 1, counts

    with django_assert_max_num_queries(1):  # a search that finds words too, whatever the page size
        assert api().get(PRODUCTS, {"page_size": 60, "q": "product", "sort": "price"}).status_code == 200
    with django_assert_max_num_queries(2):  # a typo: the count that found no word, then look-alike names
        assert api().get(PRODUCTS, {"page_size": 60, "q": "prodcut"}).json()["count"] == 60


def test_categories_are_listed_top_level_first_and_by_parent() -> None:
    fruit_veg = factories.category("Fruit and veg", position=1)
    dairy = factories.category("Dairy", position=2)
    fruit = factories.category("Fruit", parent=fruit_veg)
    factories.category("Archive", is_active=False)

    listed = api().get("/api/v1/catalog/categories/").json()
    assert [c["name"] for c in listed["results"]] == ["Fruit and veg", "Dairy", "Fruit"]
    assert listed["results"][2] | {"description": ""} == {
        "id": fruit.pk,
        "name": "Fruit",
        "slug": fruit.slug,
        "description": "",
        "parent": fruit_veg.pk,
        "depth": 1,
        "position": 0,
    }
    roots = api().get("/api/v1/catalog/categories/", {"parent": "root"}).json()["results"]
    assert [c["id"] for c in roots] == [fruit_veg.pk, dairy.pk]
    children = api().get("/api/v1/catalog/categories/", {"parent": fruit_veg.pk}).json()["results"]
    assert [c["id"] for c in children] == [fruit.pk]
    error_of(api().get("/api/v1/catalog/categories/", {"parent": "fruit"}), 400, "invalid")


def test_a_product_detail_has_description_images_and_breadcrumbs() -> None:
    root = factories.category("Fruit and veg")
    fruit = factories.category("Fruit", parent=root)
    made = factories.product("Kiwi", fruit, description="Green and fuzzy.")
    services.add_image(made.pk, {"url": "https://img.example.com/kiwi-2.jpg", "position": 2})
    services.add_image(made.pk, {"url": "https://img.example.com/kiwi-1.jpg", "position": 1})

    body = api().get(f"{PRODUCTS}{made.pk}/").json()
    assert body["description"] == "Green and fuzzy."
    assert [i["url"] for i in body["images"]] == [
        "https://img.example.com/kiwi-1.jpg",
        "https://img.example.com/kiwi-2.jpg",
    ]
    assert body["image"]["url"] == "https://img.example.com/kiwi-1.jpg"
    assert [c["name"] for c in body["breadcrumbs"]] == ["Fruit and veg", "Fruit"]
    error_of(api().get(f"{PRODUCTS}999999/"), 404, "not_found")
