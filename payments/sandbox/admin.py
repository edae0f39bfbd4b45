"""The sandbox provider's side in the admin, for developers: what "the bank" recorded. Read-only,
like every record of payments."""

from django.contrib import admin

from core.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from payments.sandbox.models import TestCardCharge, TestCardOperation


class TestCardOperationInline(ReadOnlyInline):
    __test__ = False
    model = TestCardOperation
    fields = ("kind", "reference", "idempotency_key", "amount", "final", "status", "failure_code", "created_at")
    readonly_fields = fields


@admin.register(TestCardCharge)
class TestCardChargeAdmin(ReadOnlyAdmin):
    """The sandbox provider's side, for developers: what "the bank" recorded."""

    __test__ = False
    list_display = (
        "reference",
        "account",
        "card_last4",
        "amount",
        "amount_captured",
        "amount_refunded",
        "status",
        "created_at",
    )
    list_filter = ("status", "account")
    search_fields = ("=reference",)
    ordering = ("-id",)
    inlines = (TestCardOperationInline,)
    fields = (
        "reference",
        "account",
        "card_last4",
        "currency",
        "amount",
        "amount_captured",
        "amount_refunded",
        "status",
        "failure_code",
        "sequence",
        "metadata",
        "created_at",
        "expires_at",
    )
    readonly_fields = fields
