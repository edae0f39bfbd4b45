"""The back office's work queues: what is stuck, with the action that unsticks it.

Each action is a call to the owning app's service (nothing here writes a table itself), asked for
on a confirmation page that says what will change, allowed by the owning app's change
permission, and recorded in the audit trail with what it changed (before and after), in the same
transaction as the change. A refused or failed action is recorded too, with why.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from core.money import format_money
from delivery import selectors as delivery_selectors
from delivery import services as delivery_services
from events import selectors as events_selectors
from events import services as events_services
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from payments import selectors as payments_selectors
from payments import services as payments_services

STUCK_AFTER = timedelta(minutes=15)
EXPIRING_WITHIN = timedelta(minutes=30)


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    explains: str  # the confirmation page's sentence: what will change
    run: Callable[[HttpRequest, int, str], str]  # (request, id, reason) -> what happened
    asks_reason: bool = False


@dataclass(frozen=True)
class Row:
    pk: int
    cells: list[Any]
    url: str = ""


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    columns: list[str]
    rows: Callable[[], list[Row]]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    permission: str  # the owning app's change permission
    object_type: str  # what the audit trail names
    groups: tuple[Group, ...]
    actions: dict[str, Action]
    snapshot: Callable[[int], dict[str, Any] | None]  # the fields the actions change, for the trail
    describe: Callable[[int], str]
    extra: dict[str, Any] = field(default_factory=dict)


# --- payments ------------------------------------------------------------------------------------


def _transaction_row(txn: Any) -> Row:
    payment = txn.payment
    return Row(
        txn.pk,
        [
            txn.pk,
            txn.kind,
            format_money(txn.amount, payment.currency),
            payment.order_ref,
            payment.gateway,
            txn.attempts,
            txn.failure_code or "-",
            timezone.localtime(txn.created_at).strftime("%d %b %H:%M"),
        ],
        reverse("admin:payments_payment_change", args=[payment.pk]),
    )


def _transaction_snapshot(pk: int) -> dict[str, Any] | None:
    txn = payments_selectors.transaction_for_staff(pk)
    if txn is None:
        return None
    return {
        "status": txn.status,
        "failure_code": txn.failure_code,
        "payment_state": txn.payment.state,
        "captured_amount": str(txn.payment.captured_amount),
        "capture_pending_amount": str(txn.payment.capture_pending_amount),
    }


def _describe_transaction(pk: int) -> str:
    txn = payments_selectors.transaction_for_staff(pk)
    if txn is None:
        return f"transaction {pk}"
    amount = format_money(txn.amount, txn.payment.currency)
    return f"{txn.get_kind_display()} of {amount} for order {txn.payment.order_ref} ({txn.status})"


def _retry(request: HttpRequest, pk: int, reason: str) -> str:
    payments_services.retry_transaction(pk)
    return f"Transaction {pk}: the gateway is asked again."


def _give_up(request: HttpRequest, pk: int, reason: str) -> str:
    txn = payments_services.give_up_transaction(pk, reason=reason)
    return f"Transaction {pk} is given up: {txn.status}."


def _recapture(request: HttpRequest, pk: int, reason: str) -> str:
    capture = payments_services.recapture(pk, actor=request.user)  # type: ignore[arg-type]
    return f"Capture {capture.pk} of {capture.amount} asked for (transaction {pk} had failed)."


TXN_COLUMNS = ["id", "kind", "amount", "order", "gateway", "attempts", "failure", "created"]

PAYMENTS = Queue(
    key="payments",
    title="Payments needing action",
    permission="payments.change_payment",
    object_type="payments.paymenttransaction",
    groups=(
        Group(
            "stuck-transactions",
            f"Pending for over {int(STUCK_AFTER.total_seconds() // 60)} minutes (the gateway never answered)",
            TXN_COLUMNS,
            lambda: [_transaction_row(t) for t in payments_selectors.stuck_transactions(STUCK_AFTER)[:200]],
            ("retry", "give-up"),
        ),
        Group(
            "failed-captures",
            "Captures that failed (the money is not collected)",
            TXN_COLUMNS,
            lambda: [_transaction_row(t) for t in payments_selectors.failed_captures()[:200]],
            ("recapture",),
        ),
        Group(
            "pending-refunds",
            "Refunds pending",
            TXN_COLUMNS,
            lambda: [_transaction_row(t) for t in payments_selectors.pending_refunds()[:200]],
            ("retry", "give-up"),
        ),
    ),
    actions={
        "retry": Action(
            "retry",
            "Retry",
            "The gateway is called again for this transaction, with the same idempotency key: a "
            "call that did reach the provider is not charged twice.",
            _retry,
        ),
        "give-up": Action(
            "give-up",
            "Give up",
            "The transaction is closed as failed and the provider is not asked again; the payment's "
            "totals and state follow, and a failed capture or authorization sends payment.failed.",
            _give_up,
            asks_reason=True,
        ),
        "recapture": Action(
            "recapture",
            "Capture again",
            "A new capture of the same amount is asked from the gateway (once: a second click captures nothing more).",
            _recapture,
        ),
    },
    snapshot=_transaction_snapshot,
    describe=_describe_transaction,
)


# --- reservations --------------------------------------------------------------------------------


def _reservation_rows() -> list[Row]:
    soon = timezone.now() + EXPIRING_WITHIN
    return [
        Row(
            r.pk,
            [
                r.pk,
                f"{r.owner_type} {r.owner_id}",
                r.warehouse.code,
                timezone.localtime(r.expires_at).strftime("%d %b %H:%M"),
            ],
            reverse("admin:inventory_reservation_change", args=[r.pk]),
        )
        for r in inventory_selectors.reservations_expiring(soon)[:200]
    ]


def _reservation_snapshot(pk: int) -> dict[str, Any] | None:
    reservation = inventory_selectors.reservation_for_staff(pk)
    return None if reservation is None else {"state": reservation.state, "end_reason": reservation.end_reason}


def _describe_reservation(pk: int) -> str:
    r = inventory_selectors.reservation_for_staff(pk)
    return (
        f"reservation {pk}" if r is None else f"reservation {pk} of {r.owner_type} {r.owner_id} in {r.warehouse.code}"
    )


def _release(request: HttpRequest, pk: int, reason: str) -> str:
    reservation = inventory_services.release_reservation(pk, reason="released_by_staff")
    return f"Reservation {pk} is {reservation.state}: its stock is available again."


RESERVATIONS = Queue(
    key="reservations",
    title="Reservations expiring",
    permission="inventory.change_reservation",
    object_type="inventory.reservation",
    groups=(
        Group(
            "expiring",
            f"Active reservations lapsing within {int(EXPIRING_WITHIN.total_seconds() // 60)} minutes (or past it)",
            ["id", "owner", "warehouse", "expires"],
            _reservation_rows,
            ("release",),
        ),
    ),
    actions={
        "release": Action(
            "release",
            "Release",
            "The reservation ends now and its stock is available to others at once. An order "
            "holding it will find its goods no longer reserved when packed.",
            _release,
        )
    },
    snapshot=_reservation_snapshot,
    describe=_describe_reservation,
)


# --- dead letters --------------------------------------------------------------------------------


def _dead_letter_rows() -> list[Row]:
    return [
        Row(
            d.pk,
            [d.pk, d.consumer_group, d.event_type, d.error_code, d.attempts, d.error[:120]],
            reverse("admin:events_deadletter_change", args=[d.pk]),
        )
        for d in events_selectors.pending_dead_letters()[:200]
    ]


def _dead_letter_snapshot(pk: int) -> dict[str, Any] | None:
    d = events_selectors.dead_letter_by_id(pk)
    return None if d is None else {"status": d.status, "attempts": d.attempts}


def _describe_dead_letter(pk: int) -> str:
    d = events_selectors.dead_letter_by_id(pk)
    return f"dead letter {pk}" if d is None else f"dead letter {pk}: {d.event_type} for {d.consumer_group}"


def _rerun(request: HttpRequest, pk: int, reason: str) -> str:
    before = events_selectors.dead_letter_by_id(pk)
    retried = events_services.retry_dead_letter(pk)
    if before is not None and before.status == retried.status:
        return f"Dead letter {pk} was re-run already; nothing was done."
    return f"Dead letter {pk} was applied by its consumer."


DEAD_LETTERS = Queue(
    key="dead-letters",
    title="Dead letters",
    permission="events.change_deadletter",
    object_type="events.deadletter",
    groups=(
        Group(
            "pending",
            "Events a consumer could not apply",
            ["id", "consumer", "event", "error", "attempts", "message"],
            _dead_letter_rows,
            ("rerun",),
        ),
    ),
    actions={
        "rerun": Action(
            "rerun",
            "Re-run",
            "The event goes through its consumer again, now (its inbox still applies it at most once).",
            _rerun,
        )
    },
    snapshot=_dead_letter_snapshot,
    describe=_describe_dead_letter,
)


# --- dispatch notifications ----------------------------------------------------------------------


def _notification_rows() -> list[Row]:
    return [
        Row(
            n.pk,
            [
                n.pk,
                n.shipment.order_number or n.shipment.order_ref,
                n.get_kind_display(),
                n.recipient,
                timezone.localtime(n.sent_at).strftime("%d %b %H:%M") if n.sent_at else "not yet",
            ],
            reverse("admin:delivery_dispatchnotification_change", args=[n.pk]),
        )
        for n in delivery_selectors.recent_notifications()
    ]


def _notification_snapshot(pk: int) -> dict[str, Any] | None:
    n = delivery_selectors.notification_for_staff(pk)
    return None if n is None else {"sent_at": n.sent_at}


def _describe_notification(pk: int) -> str:
    n = delivery_selectors.notification_for_staff(pk)
    return f"notification {pk}" if n is None else f"“{n.get_kind_display()}” to {n.recipient} for {n.shipment}"


def _resend(request: HttpRequest, pk: int, reason: str) -> str:
    copy = delivery_services.resend_notification(pk)
    return f"Notification {pk} is sent again (as notification {copy.pk})."


NOTIFICATIONS = Queue(
    key="notifications",
    title="Dispatch notifications",
    permission="delivery.change_dispatchnotification",
    object_type="delivery.dispatchnotification",
    groups=(
        Group(
            "recent",
            "The latest notifications to couriers and customers",
            ["id", "order", "kind", "recipient", "sent"],
            _notification_rows,
            ("resend",),
        ),
    ),
    actions={
        "resend": Action(
            "resend",
            "Re-send",
            "The same message goes to the same recipient again, as a new notification (the first "
            "stays in the history).",
            _resend,
        )
    },
    snapshot=_notification_snapshot,
    describe=_describe_notification,
)


QUEUES: dict[str, Queue] = {q.key: q for q in (PAYMENTS, RESERVATIONS, DEAD_LETTERS, NOTIFICATIONS)}
