"""Stock by warehouse: levels, the low-stock view, the threshold edit and the adjust action."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from core.errors import DomainError
from inventory import selectors, services
from inventory.errors import shown
from inventory.models import MovementReason, StockItem
from inventory.services.stock import ADJUSTMENT_REASONS

MAX_ADJUSTED_AT_ONCE = 50


class StockLevelFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("low", "Low (at or below threshold)"), ("out", "Out of stock"), ("ok", "Above threshold")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StockItem]) -> QuerySet[StockItem]:
        if self.value() == "low":
            return selectors.low_stock(queryset)
        if self.value() == "out":
            return selectors.out_of_stock(queryset)
        if self.value() == "ok":
            return selectors.above_threshold(queryset)
        return queryset


class ThresholdForm(forms.ModelForm[StockItem]):
    """Only the threshold is edited here (levels change through receipts, adjustments, imports);
    it carries the version the person saw."""

    class Meta:
        model = StockItem
        fields = ("low_stock_threshold", "version")
        widgets = {"version": forms.HiddenInput}


class AdjustForm(forms.Form):
    stock_item = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    on_hand = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=3,
        label="New on-hand",
        help_text="Leave empty to keep.",
    )


AdjustFormSet = forms.formset_factory(AdjustForm, extra=0)


class AdjustReasonForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS], initial=MovementReason.ADJUSTMENT
    )
    note = forms.CharField(max_length=300, help_text="Why, e.g. 'weekly count' or 'broken in transit'.")


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin[StockItem]):
    form = ThresholdForm
    list_display = (
        "warehouse_code",
        "sku",
        "variant_name",
        "on_hand_shown",
        "reserved_shown",
        "available",
        "threshold_shown",
        "level",
        "version",
        "updated_at",
    )
    list_filter = ("warehouse", StockLevelFilter)
    list_select_related = ("warehouse", "variant")
    search_fields = ("=variant__sku", "variant__name")
    ordering = ("warehouse__code", "variant__sku")
    actions = ("adjust",)
    fieldsets = (
        (None, {"fields": ("warehouse", "variant", "on_hand", "reserved", "available")}),
        ("Low stock", {"fields": ("low_stock_threshold", "version")}),
    )
    readonly_fields = ("warehouse", "variant", "on_hand", "reserved", "available")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockItem]:
        return selectors.stock_items_with_availability(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # stock items appear with their first receipt or import

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger refers to them

    @admin.display(description="warehouse", ordering="warehouse__code")
    def warehouse_code(self, obj: StockItem) -> str:
        return obj.warehouse.code

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj: StockItem) -> str:
        return obj.variant.sku

    @admin.display(description="variant")
    def variant_name(self, obj: StockItem) -> str:
        return obj.variant.name

    @admin.display(description="on hand", ordering="on_hand")
    def on_hand_shown(self, obj: StockItem) -> str:
        return shown(obj.on_hand)

    @admin.display(description="reserved", ordering="reserved")
    def reserved_shown(self, obj: StockItem) -> str:
        return shown(obj.reserved)

    @admin.display(description="low-stock threshold", ordering="low_stock_threshold")
    def threshold_shown(self, obj: StockItem) -> str:
        return shown(obj.low_stock_threshold)

    @admin.display(description="available", ordering="available_now")
    def available(self, obj: StockItem) -> str:
        return shown(obj.on_hand - obj.reserved)

    @admin.display(description="level")
    def level(self, obj: StockItem) -> str:
        if obj.on_hand - obj.reserved <= 0:
            return "out of stock"
        return "low" if obj.on_hand - obj.reserved <= obj.low_stock_threshold else "ok"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        titles = {"low": "Low stock", "out": "Out of stock"}
        extra_context = {**(extra_context or {}), "title": titles.get(request.GET.get("level", ""), "Stock")}
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: StockItem, form: forms.ModelForm[StockItem], change: bool) -> None:
        try:
            services.set_low_stock_threshold(
                obj.pk, form.cleaned_data["low_stock_threshold"], version=form.cleaned_data["version"]
            )
        except DomainError as exc:
            request._inventory_error = exc  # type: ignore[attr-defined]  # reported by response_change

    def response_change(self, request: HttpRequest, obj: StockItem) -> HttpResponse:
        error: DomainError | None = getattr(request, "_inventory_error", None)
        if error is not None:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description="Adjust stock (count, waste, return)…", permissions=["change"])
    def adjust(self, request: HttpRequest, queryset: QuerySet[StockItem]) -> HttpResponse | None:
        items = list(
            queryset.select_related("warehouse", "variant").order_by("warehouse__code", "variant__sku")[
                : MAX_ADJUSTED_AT_ONCE + 1
            ]
        )
        if len(items) > MAX_ADJUSTED_AT_ONCE:
            self.message_user(
                request, f"Select at most {MAX_ADJUSTED_AT_ONCE} items to adjust at once.", messages.WARNING
            )
            return None
        if "apply" in request.POST:
            formset = AdjustFormSet(request.POST, prefix="adjust")
            reason = AdjustReasonForm(request.POST)
            if formset.is_valid() and reason.is_valid():
                self._apply(request, formset, reason)
                return None
        else:
            formset = AdjustFormSet(
                prefix="adjust", initial=[{"stock_item": item.pk, "version": item.version} for item in items]
            )
            reason = AdjustReasonForm()
        by_pk = {item.pk: item for item in items}
        rows = [(form, by_pk.get(int(form["stock_item"].value()))) for form in formset]
        context = {
            **self.admin_site.each_context(request),
            "title": "Adjust stock",
            "opts": self.model._meta,
            "formset": formset,
            "reason_form": reason,
            "rows": rows,
            "items": items,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/stockitem/adjust.html", context)

    def _apply(self, request: HttpRequest, formset: Any, reason: AdjustReasonForm) -> None:
        adjustments = [
            services.Adjustment(stock_item_id=data["stock_item"], version=data["version"], on_hand=data["on_hand"])
            for data in formset.cleaned_data
            if data.get("on_hand") is not None
        ]
        if not adjustments:
            self.message_user(request, "No new on-hand was entered; nothing changed.", messages.WARNING)
            return None
        try:
            services.adjust_stock_levels(
                adjustments,
                reason=reason.cleaned_data["reason"],
                note=reason.cleaned_data["note"],
                actor_id=request.user.pk,
            )
        except DomainError as exc:
            self.message_user(request, f"Nothing changed: {exc.message}", messages.ERROR)
            return None
        self.message_user(request, f"{len(adjustments)} stock item(s) adjusted.", messages.SUCCESS)
        return None
