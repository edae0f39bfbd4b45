"""The catalog's rules, held by the services and the database whoever writes."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalog import services
from catalog.models import Category, Product, Unit, Variant
from core.errors import Conflict, InvalidInput, NotFound, StaleVersion
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def test_the_tree_keeps_paths_and_depths_when_a_branch_moves() -> None:
    food = factories.category("Food")
    fruit = factories.category("Fruit", parent=food)
    citrus = factories.category("Citrus", parent=fruit)
    fresh = factories.category("Fresh")
    assert (citrus.path, citrus.depth) == (f"/{food.pk}/{fruit.pk}/{citrus.pk}/", 2)

    services.update_category(fruit.pk, {"parent": fresh}, expected_version=fruit.version)

    fruit.refresh_from_db()
    citrus.refresh_from_db()
    assert (fruit.path, fruit.depth) == (f"/{fresh.pk}/{fruit.pk}/", 1)
    assert (citrus.path, citrus.depth) == (f"/{fresh.pk}/{fruit.pk}/{citrus.pk}/", 2)
    services.update_category(fruit.pk, {"parent": None})
    citrus.refresh_from_db()
    assert (citrus.path, citrus.depth) == (f"/{fruit.pk}/{citrus.pk}/", 1)


def test_a_category_cannot_move_under_itself_or_its_descendants() -> None:
    fruit = factories.category("Fruit")
    citrus = factories.category("Citrus", parent=fruit)
    for new_parent in (fruit, citrus):
        with pytest.raises(InvalidInput) as refused:
            services.update_category(fruit.pk, {"parent": new_parent})
        assert "parent" in refused.value.fields
    fruit.refresh_from_db()
    assert fruit.parent_id is None


def test_a_category_with_products_or_children_is_not_deleted() -> None:
    fruit = factories.category("Fruit")
    factories.category("Citrus", parent=fruit)
    with pytest.raises(Conflict) as refused:
        services.delete_category(fruit.pk)
    assert refused.value.code == "category_not_empty"
    assert Category.objects.filter(pk=fruit.pk).exists()


def test_variant_rules() -> None:
    apples = factories.product("Apples", variants=[])
    cases = {
        "price": {"price": Decimal("1.999")},
        "compare_at_price": {"price": Decimal("2.00"), "compare_at_price": Decimal("1.50")},
        "currency": {"price": Decimal("1.00"), "currency": "USD"},
        "step": {"price": Decimal("1.00"), "unit": Unit.PIECE, "step": Decimal("0.5")},
        "barcode": {"price": Decimal("1.00"), "barcode": "4006381333932"},  # wrong check digit
        "weight_kg": {"price": Decimal("1.00"), "weight_kg": Decimal("0")},
        "unit": {"price": Decimal("1.00"), "unit": "dozen"},
    }
    for field, values in cases.items():
        with pytest.raises(InvalidInput) as refused:
            services.create_variant(apples.pk, {"sku": f"X-{field}", "name": "x", **values})
        assert field in refused.value.fields, (field, refused.value.fields)
    assert not Variant.objects.exists()

    by_weight = services.create_variant(
        apples.pk,
        {
            "sku": "apl-kg",
            "name": "per kg",
            "price": Decimal("3.49"),
            "currency": "eur",
            "unit": Unit.KILOGRAM,
            "step": Decimal("0.1"),
            "barcode": "4006381333931",
        },
    )
    assert (by_weight.sku, by_weight.currency, by_weight.step) == ("APL-KG", "EUR", Decimal("0.1"))
    with pytest.raises(InvalidInput) as taken:
        services.create_variant(
            apples.pk, {"sku": "APL-KG", "name": "again", "price": Decimal("1.00"), "currency": "EUR"}
        )
    assert taken.value.code == "sku_taken"


def test_the_database_refuses_what_the_services_would_refuse() -> None:
    apples = factories.product("Apples", price="2.00")
    variant = apples.variants.get()
    for bad in ({"compare_at_price": Decimal("1.00")}, {"price": Decimal("-1")}, {"step": Decimal("0.5")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Variant.objects.filter(pk=variant.pk).update(**bad)


def test_a_stale_version_is_refused_and_changes_nothing() -> None:
    apples = factories.product("Apples", price="2.00")
    variant = apples.variants.get()
    services.update_variant(variant.pk, {"price": Decimal("2.10")}, expected_version=variant.version)
    with pytest.raises(StaleVersion) as stale:
        services.update_variant(variant.pk, {"price": Decimal("1.00")}, expected_version=variant.version)
    assert stale.value.code == "stale_version" and stale.value.current_version == variant.version + 1
    variant.refresh_from_db()
    assert (variant.price, variant.version) == (Decimal("2.10"), 2)


def test_an_update_without_a_change_writes_nothing() -> None:
    apples = factories.product("Apples")
    services.update_product(apples.pk, {"name": "Apples"})
    apples.refresh_from_db()
    assert apples.version == 1


def test_bulk_activation_bumps_the_version_of_what_changed() -> None:
    first, second = factories.product("First"), factories.product("Second", is_active=False)
    assert services.set_products_active([first.pk, second.pk], True) == 1
    assert dict(Product.objects.values_list("name", "version")) == {"First": 1, "Second": 2}


def test_attributes_are_a_flat_object_of_simple_values() -> None:
    fruit = factories.category()
    for bad in (["organic"], {"Origin": "ES"}, {"nested": {"a": 1}}, {"list": [{"a": 1}]}):
        with pytest.raises(InvalidInput) as refused:
            services.create_product({"name": "Bad", "category": fruit, "attributes": bad})
        assert "attributes" in refused.value.fields
    assert not Product.objects.exists()


def test_unknown_objects_and_fields_are_refused() -> None:
    with pytest.raises(NotFound):
        services.update_variant(10**9, {"price": Decimal("1.00")})
    apples = factories.product("Apples")
    with pytest.raises(InvalidInput) as refused:
        services.update_product(apples.pk, {"search_vector": "x", "version": 7})
    assert set(refused.value.fields) == {"search_vector", "version"}
