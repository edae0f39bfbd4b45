"""Reads of payments used by several callers (the staff API, the admin, and orders later)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from payments.errors import PaymentNotFound
from payments.models import Payment, PaymentState, PaymentTransaction


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
    payment = (Payment.objects.select_related("customer")
               .prefetch_related(Prefetch("transactions", PaymentTransaction.objects.order_by("id")))
               .filter(pk=payment_id).first())
    if payment is None:
        raise PaymentNotFound()
    return payment


def payments_for_order(order_ref: str) -> QuerySet[Payment]:
    """Every attempt to pay for the order, newest first."""
    return Payment.objects.filter(order_ref=order_ref).order_by("-created_at", "-id")


def payment_by_id(payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id).first()


def authorized_payment(payment_id: int) -> Payment | None:
    """The payment while its money is authorized (held, neither captured nor voided yet)."""
    return Payment.objects.filter(pk=payment_id, state=PaymentState.AUTHORIZED).first()
