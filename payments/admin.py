"""Back office for finance: payments with their ledger, and capture, refund and void through the
same services as the API (an intermediate page asks for the amount and reason). The records
themselves are read-only: only the services write them."""

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from core.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from core.money import CENT, format_money
from payments import services
from payments.models import Payment, PaymentState, PaymentTransaction, WebhookEvent

if TYPE_CHECKING:
    from accounts.models import User


class TransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    fields = (
        "id",
        "kind",
        "status",
        "amount",
        "final",
        "reason",
        "actor",
        "provider_reference",
        "failure_code",
        "attempts",
        "created_at",
        "completed_at",
    )
    readonly_fields = fields
    ordering = ("id",)


# --- The intermediate pages ----------------------------------------------------------------------


class OperationForm(forms.Form):
    # A fresh key per page: submitting the same page twice is one request, not two refunds.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class CaptureForm(OperationForm):
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=CENT, help_text="What to take, e.g. the picked total."
    )
    final = forms.BooleanField(
        required=False, initial=True, label="Final capture", help_text="Release the rest of the authorization."
    )


class RefundForm(OperationForm):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=CENT)
    reason = forms.CharField(max_length=255, help_text="Shown to the customer's bank and kept in the ledger.")


class VoidForm(OperationForm):
    reason = forms.CharField(max_length=255, required=False)


Perform = Callable[[Payment, dict[str, Any], "User", str], PaymentTransaction]

OPERATIONS: dict[str, tuple[type[OperationForm], str, Perform]] = {
    "capture": (
        CaptureForm,
        "payments.capture_payment",
        lambda p, data, actor, key: services.capture_payment(
            p, amount=data["amount"], final=data["final"], idempotency_key=key, actor=actor
        ),
    ),
    "refund": (
        RefundForm,
        "payments.refund_payment",
        lambda p, data, actor, key: services.refund_payment(
            p, amount=data["amount"], reason=data["reason"], idempotency_key=key, actor=actor
        ),
    ),
    "void": (
        VoidForm,
        "payments.void_payment",
        lambda p, data, actor, key: services.void_payment(p, reason=data["reason"], idempotency_key=key, actor=actor),
    ),
}


def _suggested_amount(operation: str, payment: Payment) -> Decimal:
    if operation == "capture":
        return payment.authorized_amount - payment.captured_amount - payment.capture_pending_amount
    return payment.captured_amount - payment.refunded_amount - payment.refund_pending_amount


def _offered(operation: str, payment: Payment) -> bool:
    """Whether the page offers the operation (a hint: the service decides when it is asked)."""
    open_for_capture = payment.state in (PaymentState.AUTHORIZED, PaymentState.PARTIALLY_CAPTURED)
    if operation == "void":
        return open_for_capture
    return _suggested_amount(operation, payment) > 0 and (operation == "refund" or open_for_capture)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "order_ref",
        "customer",
        "gateway",
        "state",
        "amount_display",
        "captured_amount",
        "refunded_amount",
        "created_at",
    )
    list_filter = ("state", "gateway", "currency", "created_at")
    list_select_related = ("customer",)
    search_fields = ("=order_ref", "customer__email", "=transactions__provider_reference")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = (TransactionInline,)
    actions = ("capture_selected", "refund_selected")
    change_form_template = "admin/payments/payment/change_form.html"
    fields = (
        "order_ref",
        "customer",
        "gateway",
        "payment_method_label",
        "state",
        "currency",
        "amount",
        "authorized_amount",
        "captured_amount",
        "capture_pending_amount",
        "refunded_amount",
        "refund_pending_amount",
        "failure_code",
        "failure_message",
        "authorized_at",
        "expires_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    def has_capture_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.capture_payment")

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.refund_payment")

    def _one(self, request: HttpRequest, queryset: QuerySet[Payment], operation: str) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, f"Select exactly one payment to {operation}.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse(f"admin:payments_payment_{operation}", args=[queryset.get().pk]))

    @admin.action(description="Capture the selected payment…", permissions=["capture"])
    def capture_selected(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponse | None:
        return self._one(request, queryset, "capture")

    @admin.action(description="Refund the selected payment…", permissions=["refund"])
    def refund_selected(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponse | None:
        return self._one(request, queryset, "refund")

    def get_urls(self) -> list[URLPattern]:
        pages = [
            path(
                f"<int:payment_id>/{operation}/",
                self.admin_site.admin_view(self._page(operation)),
                name=f"payments_payment_{operation}",
            )
            for operation in OPERATIONS
        ]
        return [*pages, *super().get_urls()]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        payment = context.get("original")
        context["payment_operations"] = [
            op
            for op, (_, perm, _) in OPERATIONS.items()
            if payment is not None and request.user.has_perm(perm) and _offered(op, payment)
        ]
        return super().render_change_form(request, context, *args, **kwargs)

    def _page(self, operation: str) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, payment_id: int) -> HttpResponse:
            return self.operation_view(request, payment_id, operation)

        return view

    def operation_view(self, request: HttpRequest, payment_id: int, operation: str) -> HttpResponse:
        form_class, permission, perform = OPERATIONS[operation]
        if not request.user.has_perm(permission):
            raise PermissionDenied
        payment = Payment.objects.select_related("customer").filter(pk=payment_id).first()
        if payment is None:
            raise Http404("No such payment")
        form = (
            form_class(request.POST)
            if request.method == "POST"
            else form_class(
                initial={"idempotency_key": uuid.uuid4().hex, "amount": _suggested_amount(operation, payment)}
            )
        )
        if request.method == "POST" and form.is_valid():
            assert isinstance(request.user, get_user_model())
            try:
                txn = perform(payment, form.cleaned_data, request.user, f"admin:{form.cleaned_data['idempotency_key']}")
            except DomainError as refused:
                field = next((name for name in refused.fields if name in form.fields), None)
                form.add_error(field, refused.message)
            else:
                self.message_user(
                    request,
                    f"{operation.capitalize()} of {txn.amount} {payment.currency} requested "
                    f"(transaction {txn.pk}); the gateway's answer shows here in a moment.",
                )
                return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": payment,
            "form": form,
            "operation": operation,
            "title": f"{operation.capitalize()} payment {payment.pk}",
        }
        return TemplateResponse(request, "admin/payments/payment/operation.html", context)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "gateway",
        "event_type",
        "provider_event_id",
        "received_at",
        "deliveries",
        "processed_at",
        "outcome",
    )
    list_filter = ("gateway", "event_type", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=provider_event_id",)
    ordering = ("-id",)
    fields = (
        "gateway",
        "event_type",
        "provider_event_id",
        "received_at",
        "deliveries",
        "processed_at",
        "outcome",
        "attempts",
        "last_error",
        "signature",
        "body",
    )
    readonly_fields = fields
