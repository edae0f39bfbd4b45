"""Staff run orders in the admin: the list with its filters, a read-only order page (lines as
ordered and as picked, history), and actions that go through the services (cancelling gives the
stock, the slot place and the payment back; packing settles what was picked). Only people who may
change orders get the actions, and nobody edits an order's fields directly."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import User
from accounts.roles import FINANCE, ROLES, WAREHOUSE, permissions_for
from delivery.models import HoldState, SlotHold
from inventory.models import Reservation, ReservationState
from orders.models import ActorKind, Order, OrderStatus
from orders.services import lifecycle, picking
from payments.models import PaymentTransaction, TransactionKind
from tests.browser import browser_page, sign_in_to_admin
from tests.inventory.test_admin import outside_the_browser_loop
from tests.orders.helpers import Shop, checked_out, make_shop, pay, place, refreshed

ORDERS = "/admin/orders/order/"
PASSWORD = "a-long-password-for-staff-42"


def role_member(role: str, email: str) -> User:
    """A staff member in the role's group, with the permissions accounts/roles.py gives the role
    (the group is made again when a transactional test's flush removed it)."""
    user = User.objects.create_user(email, PASSWORD, is_staff=True)
    group = Group.objects.filter(name__iexact=role).first() or Group.objects.create(name=role)
    group.permissions.add(*permissions_for(ROLES[role], Permission))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def confirmed_order(shop: Shop) -> Order:
    """Placed, paid with the sandbox card (the worker's part, in this process) and confirmed (the
    payments consumer's part)."""
    customer, _ = checked_out(shop, (shop.milk, "3"), (shop.apples, "1.5"), (shop.bread, "2"))
    order = pay(place(customer))
    assert order.payment_id is not None
    lifecycle.confirm_order(order.ref, payment_id=order.payment_id)
    return refreshed(order)


@pytest.mark.django_db(transaction=True)
def test_a_warehouse_clerk_finds_an_order_reads_it_and_cancels_it_in_the_browser(  # type: ignore[no-untyped-def]
    live_server, tmp_path: Path
) -> None:
    shop = make_shop()
    order = confirmed_order(shop)
    waiting = place(checked_out(shop, (shop.bread, "3"))[0])  # pending payment: filtered out below
    clerk = role_member(WAREHOUSE, "clerk@example.com")
    assert order.status == OrderStatus.CONFIRMED and waiting.status == OrderStatus.PENDING_PAYMENT

    with browser_page() as page:
        sign_in_to_admin(page, live_server.url, clerk.email, PASSWORD)
        page.goto(f"{live_server.url}{ORDERS}")
        everything = page.locator("#result_list tbody tr").count()
        page.locator("#changelist-filter").get_by_role("link", name="confirmed", exact=True).click()
        page.wait_for_url("**status__exact=confirmed**")
        filtered = page.locator("#result_list tbody").inner_text()
        page.screenshot(path=str(tmp_path / "orders-confirmed.png"))

        page.locator("#result_list").get_by_role("link", name=order.number, exact=True).click()
        page.wait_for_selector("#content h1")
        lines = page.locator("#lines-group").inner_text()
        history = page.locator("#history-group").inner_text()
        status = page.locator(".field-status .readonly").inner_text()
        save_buttons = page.locator("input[name=_save], input[name=_continue]").count()
        page.screenshot(path=str(tmp_path / "order.png"), full_page=True)

        page.go_back()
        page.check(f"input[name=_selected_action][value='{order.pk}']")
        page.select_option("select[name=action]", "cancel_selected")
        page.click("button[name=index]")
        message = page.locator("ul.messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "cancelled.png"))
        after = outside_the_browser_loop(lambda: refreshed(order))

    assert everything == 2
    assert order.number in filtered and waiting.number not in filtered and "confirmed" in filtered
    for line in order.lines.all():
        assert line.sku in lines and line.name in lines
    assert "1.5 kg" in lines and "not picked yet" in lines and "any similar item" in lines
    assert "pending_payment" in history and "confirmed" in history and "placed" in history
    assert status == "confirmed" and save_buttons == 0  # read-only: changes go through the actions

    assert f"1 order(s) cancelled: {order.number}." in message
    assert (after.status, after.cancelled_by, after.cancel_reason) == (
        OrderStatus.CANCELLED,
        ActorKind.STAFF,
        "cancelled in the admin",
    )
    step = after.history.last()
    assert step is not None and (step.to_status, step.actor_id) == (OrderStatus.CANCELLED, clerk.pk)
    assert Reservation.objects.get(owner_type="order", owner_id=order.ref).state == ReservationState.RELEASED
    assert SlotHold.objects.get(order_ref=order.ref).state == HoldState.RELEASED
    assert PaymentTransaction.objects.filter(payment__order_ref=order.ref, kind=TransactionKind.VOID).exists()
    assert refreshed(waiting).status == OrderStatus.PENDING_PAYMENT


@pytest.mark.django_db
def test_staff_who_may_only_view_orders_get_no_actions_and_nobody_edits_an_order() -> None:
    order = confirmed_order(make_shop())
    finance, clerk = Client(), Client()
    finance.force_login(role_member(FINANCE, "finance-viewer@example.com"))  # orders.view_* only
    clerk.force_login(role_member(WAREHOUSE, "clerk@example.com"))

    viewed = finance.get(ORDERS)
    assert viewed.status_code == 200 and order.number in viewed.content.decode()
    assert "cancel_selected" not in viewed.content.decode() and "pack_selected" not in viewed.content.decode()
    refused = finance.post(ORDERS, {"action": "cancel_selected", "_selected_action": [order.pk], "index": 0})
    assert refused.status_code == 200 and "order(s) cancelled" not in refused.content.decode()
    assert finance.get(f"{ORDERS}{order.pk}/change/").status_code == 200  # reading is fine

    offered = clerk.get(ORDERS).content.decode()
    assert 'value="cancel_selected"' in offered and 'value="pack_selected"' in offered
    page = clerk.get(f"{ORDERS}{order.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    for client in (finance, clerk):
        assert client.post(f"{ORDERS}{order.pk}/change/", {"status": "delivered"}).status_code == 403
        assert client.get(f"{ORDERS}{order.pk}/delete/").status_code == 403
        assert client.get(f"{ORDERS}add/").status_code == 403
    assert refreshed(order).status == OrderStatus.CONFIRMED


@pytest.mark.django_db
def test_packing_reports_each_order_and_a_refusal_changes_only_that_order() -> None:
    shop = make_shop()
    picked, unpicked = confirmed_order(shop), confirmed_order(shop)
    for line in picked.lines.all():
        picking.record_pick(picked.pk, line_id=line.pk, picked_quantity=line.quantity)
    clerk = Client()
    clerk.force_login(role_member(WAREHOUSE, "clerk@example.com"))

    response = clerk.post(
        ORDERS, {"action": "pack_selected", "_selected_action": [picked.pk, unpicked.pk], "index": 0}, follow=True
    )

    shown = [str(message) for message in response.context["messages"]]
    assert shown == [
        f"1 order(s) packed: {picked.number}.",
        f"Order {unpicked.number} was not packed: No line has been picked yet.",
    ]
    assert refreshed(picked).status == OrderStatus.PACKED and refreshed(picked).final_total == picked.total
    assert refreshed(unpicked).status == OrderStatus.CONFIRMED

    again = clerk.post(ORDERS, {"action": "cancel_selected", "_selected_action": [picked.pk], "index": 0}, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        f"Order {picked.number} was not cancelled: An order that is packed cannot be cancelled."
    ]


@pytest.mark.django_db
def test_orders_are_found_by_number_or_email_and_carts_and_limits_open() -> None:
    order = confirmed_order(make_shop())
    admin = Client()
    admin.force_login(User.objects.create_superuser("boss@example.com", PASSWORD))
    for term in (order.number, str(order.pk), order.customer.email.upper()):
        found = admin.get(ORDERS, {"q": term}).content.decode()
        assert f"{ORDERS}{order.pk}/change/" in found, term
    assert f"{ORDERS}{order.pk}/change/" not in admin.get(ORDERS, {"q": "nobody@example.com"}).content.decode()
    assert admin.get(ORDERS, {"q": "9" * 40}).status_code == 200

    carts = admin.get("/admin/orders/cart/").content.decode()
    assert order.customer.email in carts and "ordered" in carts
    assert admin.get("/admin/orders/cart/add/").status_code == 403
    assert admin.get("/admin/orders/purchaselimit/add/").status_code == 200
