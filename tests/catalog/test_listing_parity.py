"""The listing's rows are exactly what ProductListSerializer writes (which the OpenAPI document
describes), byte for byte once rendered, for every filter, sort and page: both the PostgreSQL
statement (`product_listing`) and the ORM rows of the embedded run (`listing_rows`)."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.renderers import JSONRenderer

from catalog import selectors, services
from catalog.api.serializers import ProductListSerializer
from catalog.models import Unit
from catalog.selectors.listing import product_listing, row_json
from catalog.selectors.listing_orm import listing_rows, listing_values
from tests.api.support import api
from tests.catalog import factories

pytestmark = pytest.mark.django_db

PAGE = 4


def _catalog() -> dict[str, Any]:
    """Products whose rows differ in every way the listing shows."""
    root = factories.category("Fruit and veg")
    fruit = factories.category("Fruit", parent=root)
    dairy = factories.category("Dairy")
    hidden = factories.category("Archive", is_active=False)
    sunny, valley = factories.brand("Sunny"), factories.brand('Valley "Best" \\ Ltd')
    made = [
        factories.product(
            "Bananas",
            fruit,
            brand=sunny,
            attributes={"organic": True, "origin": "EC", "allergens": ["none"]},
            variants=[
                {"price": "2.49", "compare_at_price": Decimal("2.99"), "weight_kg": Decimal("0.9"), "sku": "BAN-5"},
                {"price": "1.99", "unit": Unit.KILOGRAM, "step": "0.125", "sku": "BAN-KG"},
                {"price": "1.50", "sku": "BAN-OFF", "is_active": False},
            ],
        ),
        factories.product("Banana bread", dairy, price="3.00", description="Made with bananas."),
        factories.product(
            'Äpfel "Elstar" \\ 1\u2028kg\ttab\x01',
            fruit,
            slug="apfel-elstar",
            brand=valley,
            attributes={"origin": "DE", "size": 7, "grade": 1.5, "tags": ["crisp", "süß"]},
            variants=[
                {"price": "0.00", "sku": "APF-FREE", "barcode": "4006381333931"},
                {"price": "0.00", "sku": "APF-ZERO"},  # a tie: the lower id is cheapest
                {"price": "12.00", "unit": Unit.LITRE, "step": "10", "weight_kg": Decimal("10.000")},
            ],
        ),
        factories.product("Milk 1 l", dairy, brand=sunny, price="1.09", attributes={"organic": False}),
        factories.product("Oat milk", dairy, brand=valley, price="1.09", attributes={"organic": "true"}),
        factories.product("Lemons 🍋", root, slug="lemons-1", price="0.99", attributes={}),
        factories.product("Lemons 🍋", root, slug="lemons-2", price="0.99", attributes={"origin": "ES"}),  # a tie
    ]
    services.add_image(made[0].pk, {"url": "https://images.example.com/b2.jpg", "position": 2})
    services.add_image(
        made[0].pk, {"url": "https://images.example.com/b1.jpg", "alt_text": "ripe\nyellow", "position": 1}
    )
    services.add_image(made[2].pk, {"url": "https://images.example.com/a1.jpg", "alt_text": "first"})
    services.add_image(made[2].pk, {"url": "https://images.example.com/a2.jpg", "alt_text": "same position"})
    # Numbers only a raw jsonb write keeps as written (scale, exponents): read back alike.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_product SET attributes = %s::jsonb WHERE id = %s",
            ['{"size": 1.10, "big": 1e30, "tiny": 1.5e-7, "nested": [1, 2.50, "x"]}', made[5].pk],
        )
    factories.product("Hidden bananas", hidden)
    factories.product("Inactive bananas", fruit, is_active=False)
    factories.product("Bananas with nothing to sell", fruit, variants=[])
    return {"root": root, "fruit": fruit, "brands": (sunny.slug, valley.slug)}


def _filters(made: dict[str, Any]) -> list[selectors.ProductFilters]:
    sunny, valley = made["brands"]
    narrowing = [
        {},
        {"category": made["root"]},
        {"category": made["fruit"]},
        {"brands": (sunny, valley, "no-such-brand")},
        {"price_min": Decimal("1.00")},
        {"price_max": Decimal("0.99")},
        {"price_min": Decimal("0.50"), "price_max": Decimal("2.00")},
        {"attributes": (("organic", True),)},
        {"attributes": (("origin", "EC"), ("allergens", "none"))},
        {"attributes": (("size", 7),)},
        {"category": made["root"], "brands": (valley,), "price_min": Decimal("0"), "attributes": (("origin", "DE"),)},
    ]
    words = ["banana", "bananna", "ba", "milk -oat", '"oat milk"', "lemons 🍋", "!!&|"]
    return [
        *(selectors.ProductFilters(**narrow) for narrow in narrowing),
        *(selectors.ProductFilters(q="banana", **narrow) for narrow in narrowing[1:]),
        *(selectors.ProductFilters(q=q) for q in words),
        *(selectors.ProductFilters(q=q, sort=sort) for q in ("", "banana", "bananna") for sort in selectors.SORTS),
    ]


def _render(row: Any) -> bytes:
    return JSONRenderer().render(row)


def test_listing_pages_are_the_serializers_byte_for_byte() -> None:
    made = _catalog()
    checked = nonempty = 0
    for filters in _filters(made):
        products = selectors.search_products(filters)
        expected = [
            _render(row) for row in ProductListSerializer(selectors.with_listing_relations(products), many=True).data
        ]
        assert [row_json(row).encode() for row in listing_rows(list(listing_values(products)))] == expected, filters
        for first in range(0, len(expected) + PAGE, PAGE):  # every page, and one past the end
            listing = product_listing(filters, expected=slice(first, first + PAGE) if first % (2 * PAGE) == 0 else None)
            assert listing.count() == len(expected), filters
            rows = listing[first : min(first + PAGE, len(expected))]
            assert [row.encode() for row in rows] == expected[first : first + PAGE], (filters, first)
            checked, nonempty = checked + 1, nonempty + bool(rows)
    assert nonempty > 40 and checked > nonempty  # the filters found something, and pages past the end

    # The whole body, as DRF renders the paginated serializer data.
    response = api().get("/api/v1/catalog/products/", {"sort": "-price", "page": 2, "page_size": 3})
    products = selectors.search_products(selectors.ProductFilters(sort="-price"))
    assert response.content == _render(
        {
            "count": 7,
            "next": "http://testserver/api/v1/catalog/products/?sort=-price&page=3&page_size=3",
            "previous": "http://testserver/api/v1/catalog/products/?sort=-price&page_size=3",
            "results": ProductListSerializer(selectors.with_listing_relations(products)[3:6], many=True).data,
        }
    )
