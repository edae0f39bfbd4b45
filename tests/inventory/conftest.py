"""Fixtures of the inventory tests."""

from pathlib import Path

import pytest

from tests.inventory.helpers import make_variant, make_warehouse, stocked


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """Two warehouses, milk in stock in the first, eggs and bananas (by weight) not stocked; the import
    tests' files go in the returned folder."""
    make_warehouse("berlin-1")
    make_warehouse("berlin-2", "Berlin Nord")
    stocked(make_variant("MILK"), "10")
    make_variant("EGGS")
    make_variant("BANANA", unit="kg", step="0.1")
    return tmp_path
