"""The demo data stocks a dark store with the catalog's variants, once, through the services."""

from decimal import Decimal

import pytest

from inventory import demo
from inventory.models import StockItem, StockMovement
from tests.inventory.helpers import assert_ledger_matches, make_variant

pytestmark = pytest.mark.django_db


def test_without_catalog_variants_nothing_is_created_and_it_says_so() -> None:
    assert demo.load() == ["No catalog variants yet, so no stock was created (load the catalog's demo data first)."]
    assert not StockItem.objects.exists()


def test_the_demo_store_is_stocked_once() -> None:
    milk = make_variant("MILK")
    bananas = make_variant("BANANA", unit="kg", step="0.1")
    assert demo.load() == ["Warehouse demo-store: 2 variant(s) stocked now, 0 already were."]
    assert demo.load() == ["Warehouse demo-store: 0 variant(s) stocked now, 2 already were."]
    levels = dict(StockItem.objects.values_list("variant_id", "on_hand"))
    assert levels == {milk.pk: Decimal(40), bananas.pk: Decimal(25)}
    assert StockMovement.objects.count() == 2
    assert_ledger_matches()
