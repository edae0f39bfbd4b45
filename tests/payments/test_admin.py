"""Finance in the back office: payments with their ledger, capture and refund through an
intermediate page that calls the services; only the finance role may."""

import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from payments.models import PaymentTransaction
from tests.browser import browser_page, sign_in_to_admin
from tests.payments.helpers import PASSWORD, authorized, captured, finance_user, refresh


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("settled_worker")
def test_a_finance_user_refunds_part_of_a_captured_payment_in_the_admin(  # type: ignore[no-untyped-def]
    live_server, celery_worker_process, tmp_path: Path
) -> None:
    finance_user("money@example.com")
    payment = captured("50.00", capture="42.10")

    with browser_page() as page:
        sign_in_to_admin(page, live_server.url, "money@example.com", "a-long-password-for-tests-123")
        page.goto(f"{live_server.url}/admin/payments/payment/?state=captured")
        page.click(f"#result_list a[href*='/payment/{payment.pk}/change/']")
        page.wait_for_selector(".object-tools")
        assert page.locator(".object-tools a.payment-capture").count() == 0  # captured already
        assert page.locator(".object-tools a.payment-refund").count() == 1
        page.click("a.payment-refund")
        assert page.locator("#id_amount").input_value() == "42.10"  # all that can be refunded
        page.fill("#id_amount", "7.35")
        page.fill("#id_reason", "two bruised mangoes")
        page.click("input[name=confirm]")
        assert "Refund of 7.35 EUR requested" in page.locator("ul.messagelist").inner_text()

        deadline = time.monotonic() + 45  # the real worker calls the gateway; the page shows its answer
        while "Partially refunded" not in page.locator(".field-state").inner_text():
            assert time.monotonic() < deadline, "the refund was not executed"
            time.sleep(0.3)
            page.reload()
        assert "two bruised mangoes" in page.locator("#transactions-group").inner_text()
        page.screenshot(path=str(tmp_path / "refunded.png"))

    refund = PaymentTransaction.objects.get(payment=payment, kind="refund")
    assert refund.actor is not None
    assert (refund.amount, refund.status, refund.actor.email) == (Decimal("7.35"), "succeeded", "money@example.com")
    assert refresh(payment).refunded_amount == Decimal("7.35")


@pytest.mark.django_db
def test_a_refund_above_what_was_captured_is_shown_on_the_form_and_changes_nothing() -> None:
    payment = captured("50.00", capture="42.10")
    client = signed_in(finance_user())
    page = client.get(f"/admin/payments/payment/{payment.pk}/refund/")
    key = page.context["form"]["idempotency_key"].value()
    response = client.post(
        f"/admin/payments/payment/{payment.pk}/refund/",
        {"amount": "42.11", "reason": "too much", "idempotency_key": key},
    )
    assert response.status_code == 200
    assert "At most 42.10 EUR can be refunded; 42.11 was asked." in response.content.decode()
    assert not PaymentTransaction.objects.filter(kind="refund").exists()


@pytest.mark.django_db
def test_the_same_form_submitted_twice_captures_once() -> None:
    payment = authorized("30.00")
    client = signed_in(finance_user())
    form = {"amount": "27.40", "final": "on", "idempotency_key": "form-1"}
    for _ in range(2):
        response = client.post(f"/admin/payments/payment/{payment.pk}/capture/", form)
        assert response.status_code == 302 and response["Location"].endswith(f"/payment/{payment.pk}/change/")
    capture = PaymentTransaction.objects.get(kind="capture")
    assert capture.amount == Decimal("27.40") and capture.final
    assert refresh(payment).capture_pending_amount == Decimal("27.40")


@pytest.mark.django_db
def test_actions_lead_to_the_form_for_exactly_one_payment() -> None:
    first, second = authorized("10.00"), authorized("11.00")
    client = signed_in(finance_user())
    one = client.post("/admin/payments/payment/", {"action": "capture_selected", "_selected_action": [first.pk]})
    assert one.status_code == 302 and one["Location"] == f"/admin/payments/payment/{first.pk}/capture/"
    two = client.post(
        "/admin/payments/payment/",
        {"action": "refund_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Select exactly one payment to refund." in two.content.decode()


@pytest.mark.django_db
def test_staff_without_the_finance_role_cannot_move_money_and_nobody_edits_the_ledger() -> None:
    payment = captured("20.00", capture="20.00")
    viewer = User.objects.create_user("viewer@example.com", PASSWORD, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client = signed_in(viewer)
    assert client.get(f"/admin/payments/payment/{payment.pk}/change/").status_code == 200
    assert client.get(f"/admin/payments/payment/{payment.pk}/refund/").status_code == 403
    assert (
        client.post(
            f"/admin/payments/payment/{payment.pk}/refund/", {"amount": "1.00", "reason": "x", "idempotency_key": "k"}
        ).status_code
        == 403
    )
    assert "refund_selected" not in client.get("/admin/payments/payment/").content.decode()
    finance = signed_in(finance_user())
    assert finance.get("/admin/payments/payment/add/").status_code == 403
    assert finance.post(f"/admin/payments/payment/{payment.pk}/change/", {"amount": "1"}).status_code == 403
    assert refresh(payment).refunded_amount == 0
