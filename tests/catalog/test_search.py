"""Full-text search on PostgreSQL: ranked (name > brand > category > description), stemmed,
prefix-matching for search-as-you-type, tolerant of typos, and safe with any input."""

from typing import Any

import pytest

from catalog import services
from catalog.models import Product
from tests.api.support import api, error_of
from tests.catalog import factories

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"


def search(q: str, **params: Any) -> list[str]:
    response = api().get(PRODUCTS, {"q": q, **params})
    assert response.status_code == 200, response.content[:300]
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def groceries() -> None:
    fruit = factories.category("Fruit")
    bakery = factories.category("Bakery")
    green = factories.brand("Green Valley")
    factories.product("Bananas", fruit, description="Sweet yellow fruit from Ecuador.")
    factories.product("Banana bread", bakery, description="Moist loaf baked with ripe fruit.")
    factories.product("Apple pie", bakery, description="With a hint of banana and cinnamon.")
    factories.product("Pink Lady apples", fruit, brand=green, description="Crisp and sweet.")
    factories.product("Sourdough loaf", bakery, brand=green, description="Slow fermented.")


def test_the_search_vector_is_stored_and_indexed() -> None:
    made = factories.product("Bananas")
    stored = Product.objects.values_list("search_vector", flat=True).get(pk=made.pk)
    assert "banana" in stored


def test_a_match_in_the_name_ranks_above_one_in_the_description(groceries: None) -> None:
    assert search("banana") == ["Bananas", "Banana bread", "Apple pie"]


def test_stemming_and_the_brand_and_category_are_searched(groceries: None) -> None:
    assert set(search("apples")) == {"Apple pie", "Pink Lady apples"}  # "apples" and "apple" stem alike
    assert set(search("green valley")) == {"Pink Lady apples", "Sourdough loaf"}
    assert set(search("bakery")) == {"Banana bread", "Apple pie", "Sourdough loaf"}


def test_words_are_matched_as_prefixes_while_the_customer_types(groceries: None) -> None:
    assert search("bana")[:2] == ["Bananas", "Banana bread"]
    assert search("sourd") == ["Sourdough loaf"]


def test_a_typo_falls_back_to_trigram_similarity(groceries: None) -> None:
    assert "Bananas" in search("bananna")[:2]
    assert search("sourdogh") == ["Sourdough loaf"]


def test_search_combines_with_filters_and_other_sorts(groceries: None) -> None:
    fruit = Product.objects.get(name="Bananas").category
    assert search("banana", category=fruit.pk) == ["Bananas"]
    assert search("banana", sort="-name") == ["Bananas", "Banana bread", "Apple pie"]


def test_search_vectors_follow_renames_of_products_brands_and_categories(groceries: None) -> None:
    loaf = Product.objects.get(name="Sourdough loaf")
    services.update_product(loaf.pk, {"name": "Country loaf"})
    assert search("country") == ["Country loaf"]
    services.update_brand(loaf.brand_id, {"name": "Hillside"})  # type: ignore[arg-type]
    assert set(search("hillside")) == {"Country loaf", "Pink Lady apples"}
    services.update_category(loaf.category_id, {"name": "Patisserie"})
    assert set(search("patisserie")) == {"Banana bread", "Apple pie", "Country loaf"}


@pytest.mark.parametrize(
    "q",
    [
        "'",
        '"',
        "&",
        "|",
        "!",
        "(",
        ")",
        ":*",
        "banana & | !",
        '"unclosed',
        "a:*b",
        "-banana",
        "banana -bread",
        "\\",
        "%",
        "_",
        "*",
        "OR",
        "<->",
        "😀",
        "bánäna",
        "x" * 200,
        "   ",
        "a'b\"c",
        "or and not",
    ],
)
def test_any_input_is_searched_safely(groceries: None, q: str) -> None:
    response = api().get(PRODUCTS, {"q": q})
    assert response.status_code == 200, (q, response.content[:300])


def test_an_overlong_or_nul_query_is_a_400() -> None:
    error_of(api().get(PRODUCTS, {"q": "x" * 201}), 400, "invalid")
    error_of(api().get(PRODUCTS, {"q": "ban\x00ana"}), 400, "invalid")
