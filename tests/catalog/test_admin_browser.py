"""A catalog manager works in a real browser (Debian's Chromium): changes a price in the product
page's variant rows, then bulk-deactivates products; the public API reflects each change at once,
although its responses are cached."""

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts import services as accounts
from accounts.roles import CATALOG_MANAGER
from catalog.models import Product
from tests.browser import browser_page, sign_in_to_admin
from tests.catalog import factories

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL, PASSWORD = "cat@example.com", "shelf-stacker-2024"


def listing(base: str) -> tuple[dict[str, str], str]:
    """{product name: price_from} of the public listing, and the X-Cache header."""
    with urllib.request.urlopen(f"{base}/api/v1/catalog/products/", timeout=10) as response:
        body = json.load(response)
        return {item["name"]: item["price_from"] for item in body["results"]}, response.headers["X-Cache"]


def test_a_catalog_manager_changes_a_price_and_deactivates_products_in_the_admin(
    live_server: Any, tmp_path: Path
) -> None:
    manager = accounts.create_staff_member(email=EMAIL, password=PASSWORD)
    manager.groups.add(Group.objects.get(name=CATALOG_MANAGER))
    fruit = factories.category("Fruit")
    for name, price in (("Apples", "2.00"), ("Bananas", "1.99"), ("Cherries", "4.50"), ("Dates", "3.20")):
        factories.product(name, fruit, price=price)
    apples_id = Product.objects.get(name="Apples").pk
    base = live_server.url

    assert listing(base)[0] == {"Apples": "2.00", "Bananas": "1.99", "Cherries": "4.50", "Dates": "3.20"}
    assert listing(base)[1] == "HIT"

    with browser_page() as page:
        sign_in_to_admin(page, base, EMAIL, PASSWORD)

        # A new price in the product page's variant rows.
        page.goto(f"{base}/admin/catalog/product/{apples_id}/change/")
        page.fill("input[name='variants-0-price']", "1.49")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
        prices, cache_state = listing(base)
        assert (prices["Apples"], cache_state) == ("1.49", "MISS")

        # Bulk deactivation from the list.
        page.goto(f"{base}/admin/catalog/product/")
        for name in ("Bananas", "Dates"):
            page.locator("#result_list tr", has_text=name).locator("input.action-select").check()
        page.select_option("select[name=action]", "deactivate")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist .success")
        assert "2 deactivated." in page.locator(".messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "deactivated.png"))

    prices, cache_state = listing(base)
    assert prices == {"Apples": "1.49", "Cherries": "4.50"} and cache_state == "MISS"
    assert set(Product.objects.filter(is_active=False).values_list("name", flat=True)) == {"Bananas", "Dates"}
