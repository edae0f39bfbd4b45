"""Warehouses, and the records staff read but never edit: the ledger, reservations, imports."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin.readonly import ReadOnlyAdmin
from core.errors import DomainError
from inventory import services
from inventory.models import ImportBatch, Reservation, ReservationLine, ReservationState, StockMovement, Warehouse
from inventory.services.stock import CODE


class WarehouseForm(forms.ModelForm[Warehouse]):
    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code") or self.instance.code).strip()
        if not CODE.fullmatch(code):
            raise forms.ValidationError("Lower-case letters, digits and hyphens, at most 40.")
        return code


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin[Warehouse]):
    form = WarehouseForm
    list_display = ("code", "name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Warehouse | None = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()  # imports and orders refer to it by code

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: stock and reservations refer to it

    def save_model(self, request: HttpRequest, obj: Warehouse, form: forms.ModelForm[Warehouse], change: bool) -> None:
        saved = services.save_warehouse(
            code=obj.code, name=obj.name, is_active=obj.is_active, pk=obj.pk if change else None
        )
        obj.pk = saved.pk


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "warehouse",
        "sku",
        "reason",
        "on_hand_delta",
        "reserved_delta",
        "reference",
        "actor",
    )
    list_filter = ("reason", "stock_item__warehouse")
    list_select_related = ("stock_item__warehouse", "stock_item__variant", "actor")
    search_fields = ("=stock_item__variant__sku", "reference")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False  # no COUNT(*) over a long ledger on every page

    @admin.display(description="warehouse")
    def warehouse(self, obj: StockMovement) -> str:
        return obj.stock_item.warehouse.code

    @admin.display(description="SKU")
    def sku(self, obj: StockMovement) -> str:
        return obj.stock_item.variant.sku


class ReservationLineInline(admin.TabularInline[ReservationLine, Reservation]):
    model = ReservationLine
    fields = ("stock_item", "quantity")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner_type", "owner_id", "warehouse", "state", "expires_at", "end_reason", "created_at")
    list_filter = ("state", "owner_type", "warehouse")
    search_fields = ("=owner_id", "=id")
    ordering = ("-id",)
    inlines = (ReservationLineInline,)
    actions = ("release",)
    show_full_result_count = False

    def has_release_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("inventory.change_reservation"))

    @admin.action(description="Release the selected active reservations", permissions=["release"])
    def release(self, request: HttpRequest, queryset: QuerySet[Reservation]) -> None:
        released = 0
        for pk in queryset.filter(state=ReservationState.ACTIVE).order_by("pk").values_list("pk", flat=True):
            try:
                services.release_reservation(pk, reason="released by staff")
                released += 1
            except DomainError as exc:
                self.message_user(request, f"Reservation {pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{released} reservation(s) released.", messages.SUCCESS)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "file_name",
        "created_at",
        "rows_total",
        "rows_changed",
        "rows_unchanged",
        "rows_skipped",
        "partial",
        "actor",
    )
    search_fields = ("file_name", "=fingerprint")
    ordering = ("-id",)
