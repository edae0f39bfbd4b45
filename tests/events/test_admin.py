"""Staff see the outbox and the dead letters in the admin, and retry dead letters there."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import User
from events.contracts import money, pack_envelope
from events.models import DeadLetter, DeadLetterStatus
from proto.events.v1 import orders_pb2
from reports.models import DailySales
from tests.browser import browser_page, sign_in_to_admin
from tests.events.helpers import emit_order_created

pytestmark = pytest.mark.django_db(transaction=True)


def dead_letter(order_id: str, currency: str) -> DeadLetter:
    payload = orders_pb2.OrderCreated(order_id=order_id, total=money(Decimal("4.50"), "EUR"))
    payload.total.currency = currency
    payload.placed_at.FromDatetime(datetime.now(UTC))
    envelope = pack_envelope(
        event_id=str(uuid.uuid4()),
        event_type="order.created",
        occurred_at=datetime.now(UTC),
        aggregate_type="order",
        aggregate_id=order_id,
        payload=payload,
    )
    return DeadLetter.objects.create(
        consumer_group="reports.sales",
        topic="commerce.orders",
        partition=0,
        offset=int(order_id[-1]),
        value=envelope.SerializeToString(),
        event_id=envelope.event_id,
        event_type="order.created",
        error_code="handler_failed",
        error="currency was briefly refused",
        attempts=5,
    )


def test_staff_browse_the_outbox_and_retry_dead_letters(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_superuser("ops@example.com", "a-long-password-123")
    for n in range(3):
        emit_order_created(f"admin-{n}")
    good = dead_letter("o-1", "EUR")
    bad = dead_letter("o-2", "euro")

    with browser_page() as page:
        sign_in_to_admin(page, live_server.url, "ops@example.com", "a-long-password-123")

        page.goto(f"{live_server.url}/admin/events/outboxevent/?state=pending")
        assert "Outbox: 3 pending" in page.locator("h1").inner_text()
        assert page.locator("#result_list tbody tr").count() == 3
        page.click("#result_list tbody tr:first-child th a")
        assert "order.created" in page.locator(".field-envelope").inner_text()
        page.screenshot(path=str(tmp_path / "outbox.png"))

        page.goto(f"{live_server.url}/admin/events/deadletter/")
        page.check(f"input[name=_selected_action][value='{good.pk}']")
        page.check(f"input[name=_selected_action][value='{bad.pk}']")
        page.select_option("select[name=action]", "retry")
        page.click("button[name=index]")
        messages = page.locator("ul.messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "dead-letters.png"))

    assert "1 dead letter(s) processed." in messages
    assert f"Dead letter {bad.pk} failed again" in messages and "not a currency code" in messages
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == DeadLetterStatus.RETRIED
    assert bad.status == DeadLetterStatus.PENDING
    assert DailySales.objects.get().orders_placed == 1


def test_the_outbox_cannot_be_edited_in_the_admin(admin_client) -> None:  # type: ignore[no-untyped-def]
    event = emit_order_created("readonly-1")
    assert admin_client.get("/admin/events/outboxevent/add/").status_code == 403
    response = admin_client.post(f"/admin/events/outboxevent/{event.pk}/change/", {"event_type": "order.cancelled"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.event_type == "order.created"
