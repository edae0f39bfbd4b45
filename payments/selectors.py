"""Reads of payments used by several callers (the staff API, the admin, and orders later)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, DateField, Exists, OuterRef, Prefetch, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from payments.errors import PaymentNotFound
from payments.models import (
    Payment,
    PaymentState,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
    WebhookEvent,
)


@dataclass(frozen=True)
class PaymentFilters:
    state: str = ""
    gateway: str = ""
    order_ref: str = ""
    customer_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def payments_for_staff(filters: PaymentFilters) -> QuerySet[Payment]:
    """Newest first, filtered."""
    payments = Payment.objects.select_related("customer").order_by("-created_at", "-id")
    if filters.state:
        payments = payments.filter(state=filters.state)
    if filters.gateway:
        payments = payments.filter(gateway=filters.gateway)
    if filters.order_ref:
        payments = payments.filter(order_ref=filters.order_ref)
    if filters.customer_id is not None:
        payments = payments.filter(customer_id=filters.customer_id)
    if filters.created_after:
        payments = payments.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        payments = payments.filter(created_at__lt=filters.created_before)
    return payments


def payment_with_transactions(payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_related("customer")
        .prefetch_related(Prefetch("transactions", PaymentTransaction.objects.order_by("id")))
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise PaymentNotFound()
    return payment


def stalled_transaction_ids(older_than: timedelta, limit: int = 500) -> list[int]:
    """Pending transactions untouched for `older_than`, oldest first, except authorizations the
    provider acknowledged as pending (their outcome comes by webhook)."""
    cutoff = timezone.now() - older_than
    pending = PaymentTransaction.objects.filter(status=TransactionStatus.PENDING, updated_at__lt=cutoff)
    stalled = pending.exclude(kind=TransactionKind.AUTHORIZE, provider_reference__gt="")
    return list(stalled.order_by("id").values_list("id", flat=True)[:limit])


def authorizations_due_to_expire(before: datetime, limit: int = 500) -> list[Payment]:
    """Authorized payments whose authorization lapses by `before` and that no void is pending for."""
    voiding = PaymentTransaction.objects.filter(
        payment=OuterRef("pk"), kind=TransactionKind.VOID, status=TransactionStatus.PENDING
    )
    due = Payment.objects.filter(state=PaymentState.AUTHORIZED, expires_at__lte=before).exclude(Exists(voiding))
    return list(due.order_by("id")[:limit])


def unprocessed_webhook_ids(older_than: timedelta, limit: int = 500) -> list[int]:
    """Stored webhooks that nothing applied yet (the process died, or the retries gave up)."""
    cutoff = timezone.now() - older_than
    return list(
        WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def payments_for_order(order_ref: str) -> QuerySet[Payment]:
    """Every attempt to pay for the order, newest first."""
    return Payment.objects.filter(order_ref=order_ref).order_by("-created_at", "-id")


def payments_of_customer(customer_id: int) -> QuerySet[Payment]:
    """The customer's payments, oldest first (their data export)."""
    return Payment.objects.filter(customer_id=customer_id).order_by("created_at", "id")


def payment_by_id(payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id).first()


def authorized_payment(payment_id: int) -> Payment | None:
    """The payment while its money is authorized (held, neither captured nor voided yet)."""
    return Payment.objects.filter(pk=payment_id, state=PaymentState.AUTHORIZED).first()


# --- Reads for the reports app: aggregated in the database, one row per group ----------------------


def payment_outcomes(
    start: datetime, end: datetime, *, currency: str = "", using: str = "default"
) -> Iterator[Mapping[str, Any]]:
    """Payments created in [start, end) per gateway, state and failure code: how many and their amount."""
    payments = Payment.objects.using(using).filter(created_at__gte=start, created_at__lt=end)
    if currency:
        payments = payments.filter(currency=currency)
    return (
        payments.values("gateway", "state", "failure_code")
        .annotate(payments=Count("id"), amount=Sum("amount"))
        .order_by("gateway", "state", "failure_code")
        .iterator(chunk_size=2000)
    )


def refunds_by_day(
    start: datetime, end: datetime, *, time_zone: str, currency: str = "", using: str = "default"
) -> Iterator[Mapping[str, Any]]:
    """Refunds that succeeded in [start, end) per local day and gateway: how many and how much."""
    refunds = PaymentTransaction.objects.using(using).filter(
        kind=TransactionKind.REFUND, status=TransactionStatus.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
    )
    if currency:
        refunds = refunds.filter(payment__currency=currency)
    day = Trunc("completed_at", "day", output_field=DateField(), tzinfo=ZoneInfo(time_zone))
    return (
        refunds.annotate(day=day)
        .values("day", "payment__gateway")
        .annotate(refunds=Count("id"), amount=Sum("amount"))
        .order_by("day", "payment__gateway")
        .iterator(chunk_size=2000)
    )


# --- the back office's dashboard and work queue -----------------------------------------------


def stuck_transactions(older_than: timedelta) -> QuerySet[PaymentTransaction]:
    """Pending transactions nothing has touched for `older_than` (the gateway never answered),
    except authorizations the provider acknowledged (they wait for a webhook); oldest first."""
    ids = stalled_transaction_ids(older_than, limit=1000)
    return PaymentTransaction.objects.select_related("payment").filter(pk__in=ids).order_by("created_at", "id")


def failed_captures() -> QuerySet[PaymentTransaction]:
    """Captures that failed on payments still authorized, with no capture or void tried since:
    the money is not collected until someone captures again."""
    tried_since = PaymentTransaction.objects.filter(
        payment=OuterRef("payment"),
        pk__gt=OuterRef("pk"),
        kind__in=[TransactionKind.CAPTURE, TransactionKind.VOID],
    ).exclude(status=TransactionStatus.FAILED)
    return (
        PaymentTransaction.objects.select_related("payment")
        .filter(
            kind=TransactionKind.CAPTURE,
            status=TransactionStatus.FAILED,
            payment__state__in=[PaymentState.AUTHORIZED, PaymentState.PARTIALLY_CAPTURED],
        )
        .exclude(Exists(tried_since))
        .order_by("created_at", "id")
    )


def pending_refunds() -> QuerySet[PaymentTransaction]:
    return (
        PaymentTransaction.objects.select_related("payment")
        .filter(kind=TransactionKind.REFUND, status=TransactionStatus.PENDING)
        .order_by("created_at", "id")
    )


def lapsing_authorizations(before: datetime) -> QuerySet[Payment]:
    """Authorized, uncaptured payments whose authorization lapses by `before`."""
    return Payment.objects.filter(state=PaymentState.AUTHORIZED, expires_at__lte=before).order_by("expires_at")


def transaction_for_staff(transaction_id: int) -> PaymentTransaction | None:
    return PaymentTransaction.objects.select_related("payment").filter(pk=transaction_id).first()
