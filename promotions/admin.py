"""The Marketing role's back office: promotions with the items they target, voucher codes (one
shared code, or a generated batch of single-use codes) and the redemptions. Every write goes
through promotions.services, like the API's."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from core.admin.services import ServiceModelAdmin, VersionedModelForm
from core.errors import DomainError
from promotions import services
from promotions.models import Promotion, PromotionTarget, Redemption, VoucherCode

TARGET_FIELDS = {"category": "categories", "product": "products", "variant": "variants"}


class PromotionForm(VersionedModelForm):
    categories: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None, required=False, help_text="with their subcategories"
    )
    products: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(queryset=None, required=False)
    variants: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(queryset=None, required=False)

    class Meta:
        model = Promotion
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, name in TARGET_FIELDS.items():
            model: Any = PromotionTarget._meta.get_field(kind).related_model
            self.fields[name].queryset = model._default_manager.all()  # type: ignore[attr-defined]
            if self.instance.pk:
                self.initial[name] = [
                    getattr(target, f"{kind}_id")
                    for target in self.instance.targets.all()
                    if getattr(target, f"{kind}_id")
                ]


class CodeInline(ReadOnlyInline):
    model = VoucherCode
    fields = ("code", "max_uses", "times_used", "batch")
    readonly_fields = fields
    max_num = 50
    verbose_name_plural = "voucher codes (the first 50; all of them under Voucher codes)"


@admin.register(Promotion)
class PromotionAdmin(ServiceModelAdmin):
    form = PromotionForm
    service_fields = services.PROMOTION_FIELDS
    list_display = (
        "name",
        "kind",
        "trigger",
        "starts_at",
        "ends_at",
        "is_active",
        "priority",
        "stackable",
        "times_used",
    )
    list_filter = ("trigger", "kind", "is_active")
    search_fields = ("name", "codes__code")
    readonly_fields = ("times_used",)
    inlines = [CodeInline]
    actions = ["generate_ten_codes"]

    def _targets(self, form: Any) -> dict[str, Any]:
        return {kind: list(form.cleaned_data.get(name) or []) for kind, name in TARGET_FIELDS.items()}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self._form = form
        super().save_model(request, obj, form, change)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Promotion:
        return services.create_promotion(values, targets=self._targets(self._form))

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Promotion:
        return services.update_promotion(obj.pk, changes, version=version, targets=self._targets(self._form))

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.update_promotion(obj.pk, {"is_active": False}, version=None)  # redemptions keep their promotion

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # targets are the service's; the code inline is read-only
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description="Generate 10 single-use codes for the selected voucher promotions")
    def generate_ten_codes(self, request: HttpRequest, queryset: QuerySet[Promotion]) -> None:
        try:
            made = [code for promotion in queryset for code in services.generate_codes(promotion.pk, 10)]
        except DomainError as exc:
            self.message_user(request, f"No codes made: {exc.message} {exc.fields}", messages.ERROR)
            return
        self.message_user(request, f"{len(made)} codes made: {', '.join(c.code for c in made)}", messages.SUCCESS)


class CodeForm(VersionedModelForm):
    class Meta:
        model = VoucherCode
        fields = ("promotion", "code", "max_uses")


@admin.register(VoucherCode)
class VoucherCodeAdmin(ServiceModelAdmin):
    form = CodeForm
    service_fields = ("promotion", "code", "max_uses")
    list_display = ("code", "promotion", "max_uses", "times_used", "batch", "created_at")
    list_filter = ("promotion",)
    search_fields = ("code", "batch")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("promotion", "code", "max_uses", "times_used", "batch") if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a used code is history; end its promotion instead

    def create(self, request: HttpRequest, values: dict[str, Any]) -> VoucherCode:
        return services.add_code(values["promotion"].pk, values["code"], max_uses=values.get("max_uses"))


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("order_ref", "promotion", "code", "customer", "amount", "currency", "redeemed_at", "released_at")
    list_filter = ("promotion",)
    search_fields = ("order_ref", "code__code")
