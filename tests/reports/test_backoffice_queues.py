"""Work-queue actions: each asks for confirmation first, changes exactly what it says through the
owning app's service, and is recorded in the audit trail with who did it and what changed."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.roles import DISPATCHER, FINANCE, SUPPORT, WAREHOUSE
from core.models import AuditEntry
from delivery.models import DispatchNotification
from events.models import DeadLetter
from inventory.models import Reservation, StockItem
from payments.models import Payment, PaymentTransaction, TransactionKind, TransactionStatus
from tests.reports.backoffice_day import Day, prepare_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day() -> Day:
    return prepare_day()


def as_role(day: Day, role: str) -> Client:
    client = Client()
    client.force_login(day.staff[role])
    return client


def run(client: Client, queue: str, action: str, pk: int, **form: str) -> Any:
    url = f"/admin/backoffice/queues/{queue}/{action}/{pk}/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Yes, " in confirm.content
    return client.post(url, {"confirm": "yes", **form}, follow=True)


def test_the_confirmation_page_changes_nothing(day: Day) -> None:
    client = as_role(day, WAREHOUSE)
    assert client.get(f"/admin/backoffice/queues/reservations/release/{day.reservation.pk}/").status_code == 200
    assert Reservation.objects.get(pk=day.reservation.pk).state == "active"
    assert not AuditEntry.objects.exists()


def test_giving_up_a_stuck_refund_fails_it_and_is_audited(day: Day) -> None:
    page = run(as_role(day, FINANCE), "payments", "give-up", day.stuck_refund.pk, reason="provider lost it")
    assert b"is given up" in page.content
    refund = PaymentTransaction.objects.get(pk=day.stuck_refund.pk)
    assert (refund.status, refund.failure_code) == (TransactionStatus.FAILED, "given_up")
    payment = Payment.objects.get(pk=refund.payment_id)
    assert (payment.refund_pending_amount, payment.refunded_amount) == (Decimal("0.00"), Decimal("0.00"))
    entry = AuditEntry.objects.get(action="payments.give-up")
    assert (entry.actor_email, entry.object_id, entry.channel) == ("finance@example.com", str(refund.pk), "admin")
    assert entry.changes["status"] == ["pending", "failed"]
    assert "provider lost it" in entry.note


def test_capturing_again_after_a_failed_capture_asks_once(day: Day, django_capture_on_commit_callbacks: Any) -> None:
    client = as_role(day, FINANCE)
    with django_capture_on_commit_callbacks() as queued:
        run(client, "payments", "recapture", day.failed_capture.pk)
    captures = PaymentTransaction.objects.filter(payment=day.failed_capture.payment, kind=TransactionKind.CAPTURE)
    new = captures.exclude(pk=day.failed_capture.pk).get()
    assert (new.status, new.amount, new.final, new.actor_id) == (
        "pending",
        Decimal("12.00"),
        True,
        day.staff[FINANCE].pk,
    )
    assert len(queued) == 1  # the gateway call, after the commit
    run(client, "payments", "recapture", day.failed_capture.pk)  # a second click
    assert captures.count() == 2
    entries = AuditEntry.objects.filter(action="payments.recapture").order_by("id")
    assert [e.note.split(":")[0] for e in entries] == ["done", "done"]
    assert entries[0].changes["capture_pending_amount"] == ["0.00", "12.00"]


def test_retrying_queues_the_same_transaction_again(day: Day, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as queued:
        run(as_role(day, FINANCE), "payments", "retry", day.stuck_refund.pk)
    assert len(queued) == 1
    assert PaymentTransaction.objects.get(pk=day.stuck_refund.pk).status == "pending"
    assert AuditEntry.objects.get(action="payments.retry").object_id == str(day.stuck_refund.pk)


def test_releasing_a_reservation_gives_its_stock_back(day: Day) -> None:
    run(as_role(day, WAREHOUSE), "reservations", "release", day.reservation.pk)
    assert Reservation.objects.get(pk=day.reservation.pk).state == "released"
    assert StockItem.objects.get(variant__sku="MLK").reserved == 0
    entry = AuditEntry.objects.get(action="reservations.release")
    assert entry.changes["state"] == ["active", "released"]
    assert entry.actor_email == "warehouse@example.com"


def test_re_sending_a_notification_sends_a_copy(day: Day) -> None:
    run(as_role(day, DISPATCHER), "notifications", "resend", day.notification.pk)
    copies = DispatchNotification.objects.exclude(pk=day.notification.pk)
    assert [(n.recipient, n.message, n.shipment_id) for n in copies] == [
        (day.notification.recipient, day.notification.message, day.shipment.pk)
    ]
    assert AuditEntry.objects.filter(action="notifications.resend", actor_email="dispatcher@example.com").count() == 1


def test_a_dead_letter_that_fails_again_stays_and_the_attempt_is_audited(admin_client: Client, day: Day) -> None:
    page = run(admin_client, "dead-letters", "rerun", day.dead_letter.pk)
    assert b"Not done" in page.content
    dead = DeadLetter.objects.get(pk=day.dead_letter.pk)
    assert (dead.status, dead.attempts) == ("pending", 1)
    entry = AuditEntry.objects.get(action="dead-letters.rerun")
    assert entry.note.startswith("refused") and entry.changes["attempts"] == [0, 1]


def test_each_queue_belongs_to_its_role(day: Day) -> None:
    support = as_role(day, SUPPORT)
    for queue in ("payments", "reservations", "notifications", "dead-letters"):
        assert support.get(f"/admin/backoffice/queues/{queue}/").status_code == 403
    warehouse = as_role(day, WAREHOUSE)
    url = f"/admin/backoffice/queues/payments/give-up/{day.stuck_refund.pk}/"
    assert warehouse.post(url, {"confirm": "yes"}).status_code == 403
    assert PaymentTransaction.objects.get(pk=day.stuck_refund.pk).status == "pending"
    listing = as_role(day, FINANCE).get("/admin/backoffice/queues/payments/").content.decode()
    assert f'data-row="{day.failed_capture.pk}"' in listing and f'data-row="{day.stuck_refund.pk}"' in listing
