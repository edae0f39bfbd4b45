"""The stock back office: stock by warehouse with the low-stock view, a read-only ledger, and the
adjust action that goes through the services and honours the version staff saw."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from inventory.models import MovementReason, StockItem, StockMovement, Warehouse
from inventory.services import Adjustment, adjust_stock, reserve_stock, set_low_stock_threshold
from tests.browser import browser_page, sign_in_to_admin
from tests.inventory.helpers import assert_ledger_matches, levels, make_variant, stocked

STOCK = "/admin/inventory/stockitem/"
T = TypeVar("T")


def outside_the_browser_loop(work: Callable[[], T]) -> T:
    """Database work while Playwright's event loop runs in this thread (Django refuses it there)."""
    with ThreadPoolExecutor(1) as pool:

        def run() -> T:
            try:
                return work()
            finally:
                connection.close()

        return pool.submit(run).result()


def adjust_form(items: list[StockItem], values: list[str], reason: str = "adjustment") -> dict[str, object]:
    data: dict[str, object] = {
        "action": "adjust",
        "_selected_action": [str(i.pk) for i in items],
        "apply": "1",
        "adjust-TOTAL_FORMS": str(len(items)),
        "adjust-INITIAL_FORMS": str(len(items)),
        "reason": reason,
        "note": "weekly count",
    }
    for n, (item, value) in enumerate(zip(items, values, strict=True)):
        item.refresh_from_db()
        data.update(
            {f"adjust-{n}-stock_item": item.pk, f"adjust-{n}-version": item.version, f"adjust-{n}-on_hand": value}
        )
    return data


@pytest.mark.django_db
def test_the_low_stock_view_lists_what_needs_reordering(admin_client: Client) -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "10")
    set_low_stock_threshold(milk.pk, "3", version=2)
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 8)], warehouse_code="berlin-1")
    everything = admin_client.get(STOCK).content.decode()
    assert "MILK" in everything and "EGGS" in everything
    low = admin_client.get(STOCK, {"level": "low"}).content.decode()
    assert "Low stock" in low and "MILK" in low and "EGGS" not in low
    above = admin_client.get(STOCK, {"level": "ok", "warehouse__id__exact": eggs.warehouse_id}).content.decode()
    assert "EGGS" in above and "MILK" not in above


@pytest.mark.django_db
def test_the_ledger_is_read_only_in_the_admin(admin_client: Client) -> None:
    stocked(make_variant("MILK"), "5")
    movement = StockMovement.objects.get()
    assert admin_client.get("/admin/inventory/stockmovement/").status_code == 200
    assert admin_client.get("/admin/inventory/stockmovement/add/").status_code == 403
    response = admin_client.post(f"/admin/inventory/stockmovement/{movement.pk}/change/", {"on_hand_delta": "50"})
    assert response.status_code == 403
    assert (
        admin_client.post(f"/admin/inventory/stockmovement/{movement.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert StockMovement.objects.get().on_hand_delta == Decimal(5)
    assert admin_client.get(f"{STOCK}add/").status_code == 403  # stock appears by receipts and imports


@pytest.mark.django_db
def test_the_adjust_action_applies_all_or_nothing_and_refuses_a_stale_version(admin_client: Client) -> None:
    milk = stocked(make_variant("MILK"), "10")
    eggs = stocked(make_variant("EGGS"), "10")
    page = admin_client.post(STOCK, {"action": "adjust", "_selected_action": [milk.pk, eggs.pk]})
    assert page.status_code == 200 and b"New on-hand" in page.content

    form = adjust_form([milk, eggs], ["7", "12"])
    adjust_stock(Adjustment(stock_item_id=eggs.pk, version=2, delta=Decimal(-1)))  # someone else, meanwhile
    response = admin_client.post(STOCK, form, follow=True)
    assert "Nothing changed" in response.content.decode() and "changed since you read it" in response.content.decode()
    assert (levels(milk)[0], levels(eggs)[0]) == (Decimal(10), Decimal(9))

    response = admin_client.post(STOCK, adjust_form([milk, eggs], ["7", ""], reason="waste"), follow=True)
    assert "1 stock item(s) adjusted." in response.content.decode()
    assert (levels(milk)[0], levels(eggs)[0]) == (Decimal(7), Decimal(9))
    waste = StockMovement.objects.get(reason=MovementReason.WASTE)
    assert (waste.on_hand_delta, waste.note, waste.actor.email) == (Decimal(-3), "weekly count", "admin@example.com")
    assert_ledger_matches()


@pytest.mark.django_db
def test_a_stale_threshold_edit_is_refused(admin_client: Client) -> None:
    milk = stocked(make_variant("MILK"), "10")
    url = f"{STOCK}{milk.pk}/change/"
    set_low_stock_threshold(milk.pk, "2", version=2)  # someone else saved first
    response = admin_client.post(url, {"low_stock_threshold": "5", "version": "2"}, follow=True)
    assert "Not saved" in response.content.decode()
    milk.refresh_from_db()
    assert (milk.low_stock_threshold, milk.version) == (Decimal(2), 3)
    admin_client.post(url, {"low_stock_threshold": "5", "version": "3"})
    milk.refresh_from_db()
    assert milk.low_stock_threshold == Decimal(5)


@pytest.mark.django_db(transaction=True)
def test_staff_adjust_stock_in_the_browser(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_superuser("ops@example.com", "a-long-password-123")
    milk = stocked(make_variant("MILK"), "10")

    with browser_page() as page:
        sign_in_to_admin(page, live_server.url, "ops@example.com", "a-long-password-123")
        page.goto(f"{live_server.url}{STOCK}")
        page.check(f"input[name=_selected_action][value='{milk.pk}']")
        page.select_option("select[name=action]", "adjust")
        page.click("button[name=index]")
        page.fill("input[name='adjust-0-on_hand']", "8")
        page.fill("input[name=note]", "shelf count")
        page.screenshot(path=str(tmp_path / "adjust.png"))
        page.click("input[name=apply]")
        assert "1 stock item(s) adjusted." in page.locator("ul.messagelist").inner_text()
        assert outside_the_browser_loop(lambda: levels(milk)[0]) == Decimal(8)

        # Two people on the same page: the second one's save is refused and changes nothing.
        page.check(f"input[name=_selected_action][value='{milk.pk}']")
        page.select_option("select[name=action]", "adjust")
        page.click("button[name=index]")
        page.fill("input[name='adjust-0-on_hand']", "11")
        page.fill("input[name=note]", "second count")
        outside_the_browser_loop(
            lambda: adjust_stock(
                Adjustment(stock_item_id=milk.pk, version=3, on_hand=Decimal(9)), note="the other clerk"
            )
        )
        page.click("input[name=apply]")
        message = page.locator("ul.messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "stale.png"))

    assert "Nothing changed" in message and "changed since you read it" in message
    assert levels(milk)[0] == Decimal(9)
    assert_ledger_matches()


@pytest.mark.django_db
def test_warehouses_are_created_and_renamed_but_keep_their_code(admin_client: Client) -> None:
    bad = admin_client.post("/admin/inventory/warehouse/add/", {"code": "Berlin 1", "name": "Mitte", "is_active": "on"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode() and not Warehouse.objects.exists()
    upper = admin_client.post("/admin/inventory/warehouse/add/", {"code": "Berlin-1", "name": "Mitte"})
    assert "Lower-case letters" in upper.content.decode()
    admin_client.post("/admin/inventory/warehouse/add/", {"code": "berlin-1", "name": "Mitte", "is_active": "on"})
    warehouse = Warehouse.objects.get()
    admin_client.post(f"/admin/inventory/warehouse/{warehouse.pk}/change/", {"code": "paris-1", "name": "Mitte Nord"})
    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.name, warehouse.is_active) == ("berlin-1", "Mitte Nord", False)
