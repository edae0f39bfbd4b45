"""Privacy: the customer's data export (a zip of JSON with every part, by a task, with a signed
link by e-mail) and erasure of the account (orders stay for finance without personal data, and
`user.deleted` reaches the consumers), by the customer in the API and by support in the admin."""

import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts.models import Address, DataExport, User
from accounts.roles import SUPPORT
from events.contracts import unpack_envelope
from events.dispatch import dispatch_pending
from events.models import OutboxEvent, ProcessedEvent
from notifications.models import Message
from orders.models import ActorKind, Order, OrderStatus
from orders.services import lifecycle
from tests.api.support import PASSWORD, api, error_of, make_customer, signed_in
from tests.orders.helpers import Shop, checked_out, make_shop, place
from tests.payments.conftest import payment_gateways  # noqa: F401  (autouse: the sandbox card gateway)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

ME, EXPORT = "/api/v1/me/", "/api/v1/me/export/"


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def customer_with_an_order(shop: Shop, *, cancelled: bool = True) -> tuple[User, Order]:
    user = make_customer("ann@example.com", first_name="Ann", last_name="Lee", phone="+49 30 1234567")
    address = Address.objects.create(
        user=user, recipient_name="Ann Lee", phone="+49301234567", line1="Invalidenstr. 1", city="Berlin",
        postal_code="10115", country="DE", is_default=True,
    )  # fmt: skip
    checked_out(shop, (shop.milk, "2"), (shop.apples, "1.5"), customer=(user, address))
    order = place(user)
    if cancelled:
        order = lifecycle.cancel_order(order.pk, by=ActorKind.CUSTOMER, customer=user, reason="Ann changed her mind")
    return user, order


def download_link(message: Any) -> str:
    url = re.search(r"https?://\S+", message.body)
    assert url, message.body
    return urlparse(url.group(0)).path + "?" + urlparse(url.group(0)).query


def test_the_export_archive_holds_every_part_and_is_sent_as_a_signed_link(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    user, order = customer_with_an_order(shop)
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/me/email/verification/")  # a message the shop sent her
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get(EXPORT)
    assert started.status_code == 202 and started.json()["status"] == "pending"
    again = client.get(EXPORT)  # one archive at a time: the same one, now ready
    assert (again.status_code, again.json()["id"], again.json()["status"]) == (202, started.json()["id"], "ready")

    [message] = [m for m in mail.outbox if m.subject == "Your data export is ready"]
    assert message.to == ["ann@example.com"]
    download = api().get(download_link(message))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert set(archive.namelist()) == {
        "manifest.json", "profile.json", "addresses.json", "orders.json", "payments.json", "messages.json"
    }  # fmt: skip
    part = {name.removesuffix(".json"): json.loads(archive.read(name)) for name in archive.namelist()}
    assert part["manifest"]["user_id"] == user.pk and list(part["manifest"]["parts"]) == [
        "profile", "addresses", "orders", "payments", "messages"
    ]  # fmt: skip
    assert (part["profile"]["email"], part["profile"]["last_name"], part["profile"]["phone"]) == (
        "ann@example.com", "Lee", "+49301234567"
    )  # fmt: skip
    assert [a["line1"] for a in part["addresses"]] == ["Invalidenstr. 1"]
    [exported] = part["orders"]
    assert (exported["number"], exported["total"], exported["status"]) == (order.number, str(order.total), "cancelled")
    assert sorted(line["sku"] for line in exported["lines"]) == sorted([shop.milk.sku, shop.apples.sku])
    [payment] = part["payments"]
    assert (payment["order_ref"], payment["amount"], payment["gateway"]) == (
        order.ref,
        str(order.authorized_amount),
        "test_card",
    )
    assert "payment_method" not in payment  # the gateway's token is not the customer's data
    [sent] = part["messages"]  # the verification mail, without its link (the export is announced after)
    assert (sent["kind"], sent["to"], sent["subject"], sent["status"], sent["text"]) == (
        "verify_email", "ann@example.com", "Please confirm your e-mail address", "sent", ""
    )  # fmt: skip

    query = parse_qs(urlparse(download_link(message)).query)
    error_of(api().get(EXPORT + "download/", {"token": query["token"][0][:-3] + "abc"}), 400, "invalid_link")


def erase(client: Any, password: str = PASSWORD) -> Any:
    return client.delete(ME, {"password": password})


def test_after_erasure_the_person_is_gone_and_their_orders_stay_for_finance(
    shop: Shop, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EVENTS_IN_PROCESS_DISPATCH = True  # the consumers get the events in-process
    user, order = customer_with_an_order(shop, cancelled=False)
    client = signed_in(user)
    error_of(erase(client, "not-my-password"), 400, "wrong_password")
    error_of(erase(client), 409, "erasure_blocked")  # the order is still on its way
    lifecycle.cancel_order(order.pk, by=ActorKind.CUSTOMER, customer=user, reason="Call Ann on +49 30 1234567")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/me/email/verification/")  # a message the shop sent her
    with django_capture_on_commit_callbacks(execute=True):
        assert erase(client).status_code == 204
    # What the delivery after the commit does (registered once per transaction, here the test's
    # own, which never commits).
    dispatch_pending()
    error_of(client.get(ME), 401)  # the token is revoked
    error_of(api().post("/api/v1/auth/login/", {"email": "ann@example.com", "password": PASSWORD}), 401)
    erased = User.objects.get(pk=user.pk)
    assert (erased.first_name, erased.last_name, erased.phone, erased.is_active) == ("", "", "", False)
    assert "ann" not in erased.email and not erased.has_usable_password()
    assert not Address.objects.filter(user=erased).exists() and not erased.access_tokens.exists()
    goodbye = mail.outbox[-1]
    assert (goodbye.to, goodbye.subject) == (["ann@example.com"], "Your Commerce account is deleted")
    assert goodbye.body.startswith("Hello Ann,")

    [event] = OutboxEvent.objects.filter(event_type="user.deleted")
    payload = unpack_envelope(bytes(event.payload))[1]
    assert (payload.user_id, payload.reason) == (str(user.pk), "customer_request")  # type: ignore[attr-defined]
    for group in ("orders.privacy", "notifications.customers"):
        assert ProcessedEvent.objects.filter(consumer_group=group, event_id=event.event_id).exists()
    # The messages she got (the goodbye too, once sent) keep no address, text or link to her.
    messages = Message.objects.all()
    assert len(messages) >= 2 and not messages.filter(user_id=user.pk).exists()
    assert all(m.recipient.startswith("erased-") and not m.body_text and not m.subject for m in messages)
    kept = Order.objects.get(pk=order.pk)
    assert (kept.status, kept.total, kept.lines.count()) == (OrderStatus.CANCELLED, order.total, 2)
    assert kept.shipping_address == {
        "recipient_name": "", "phone": "", "line1": "", "line2": "", "city": "Berlin", "region": "",
        "postal_code": "10115", "country": "DE", "delivery_instructions": "",
    }  # fmt: skip
    assert kept.cancel_reason == ""  # the customer's own words go too

    again = api().post("/api/v1/auth/register/", {"email": "ann@example.com", "password": PASSWORD})
    assert again.status_code == 201 and again.json()["user"]["id"] != user.pk


def test_staff_accounts_are_not_erased_through_the_api() -> None:
    staff = User.objects.create_user("boss@example.com", PASSWORD, is_staff=True)
    error_of(erase(signed_in(staff)), 403, "staff_account_not_erasable")
    assert User.objects.get(pk=staff.pk).is_active


def test_support_sends_the_export_and_erases_an_account_from_the_admin(
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = make_customer("ann@example.com", first_name="Ann")
    support = User.objects.create_user("help@example.com", "help-desk-2024", is_staff=True)
    support.groups.add(Group.objects.get(name=SUPPORT))
    client = Client()
    client.force_login(support)
    changelist = "/admin/accounts/customer/"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "send_data_export", "_selected_action": [customer.pk]})
    export = DataExport.objects.get(user=customer)
    assert (export.status, export.requested_by_id) == ("ready", support.pk)
    assert [m.to for m in mail.outbox if m.subject == "Your data export is ready"] == [["ann@example.com"]]

    confirm = client.post(changelist, {"action": "erase_accounts", "_selected_action": [customer.pk]})
    assert confirm.status_code == 200 and b"Yes, erase 1 account" in confirm.content
    assert User.objects.get(pk=customer.pk).erased_at is None  # not before it is confirmed
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist, {"action": "erase_accounts", "_selected_action": [customer.pk], "confirmed": "yes"}
        )
    assert done.status_code == 302
    assert User.objects.get(pk=customer.pk).erased_at is not None and not DataExport.objects.exists()
    [event] = OutboxEvent.objects.filter(event_type="user.deleted")
    assert unpack_envelope(bytes(event.payload))[1].reason == "support_request"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_archives_left_behind() -> Any:
    yield
    for export in DataExport.objects.exclude(archive=""):
        export.archive.delete(save=False)
