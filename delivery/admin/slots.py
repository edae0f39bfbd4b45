"""Slots for dispatchers: today's and tomorrow's by default, with their fill rate; capacity and
closing go through the slot service with the version the dispatcher saw (optimistic locking)."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from delivery.errors import DeliveryError
from delivery.models import DeliverySlot, SlotHold
from delivery.selectors import fill_rate, slots_with_fill
from delivery.services import slots


def _local_day_start(offset_days: int) -> datetime:
    day = timezone.localdate() + timedelta(days=offset_days)
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


class WindowFilter(admin.SimpleListFilter):
    """Today and tomorrow unless asked otherwise: what a dispatcher plans."""

    title = "day"
    parameter_name = "day"
    field = "starts_at"
    WINDOWS = {"today": (0, 1), "tomorrow": (1, 2), "week": (0, 7)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("today", "Today"), ("tomorrow", "Tomorrow"), ("week", "Next 7 days"), ("all", "All")]

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        yield {
            "selected": self.value() is None,
            "display": "Today and tomorrow",
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "display": title,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "all":
            return queryset
        first, last = self.WINDOWS.get(self.value() or "", (0, 2))
        return queryset.filter(
            **{f"{self.field}__gte": _local_day_start(first), f"{self.field}__lt": _local_day_start(last)}
        )


class SlotForm(forms.ModelForm[DeliverySlot]):
    """Carries the version the dispatcher saw; the service refuses the save if it moved on."""

    class Meta:
        model = DeliverySlot
        fields = ("capacity", "closed", "closed_reason", "version")
        widgets = {"version": forms.HiddenInput}

    def clean(self) -> dict[str, Any]:
        # Early, friendly checks on the form; the service re-checks atomically when saving.
        data = super().clean() or {}
        current = DeliverySlot.objects.filter(pk=self.instance.pk).first()
        if current is not None:
            if data.get("version") != current.version:
                raise forms.ValidationError(
                    f"Someone else changed this slot since you opened it (now version "
                    f"{current.version}); reload the page and try again.",
                    code="stale_version",
                )
            if data.get("capacity") is not None and data["capacity"] < current.reserved:
                self.add_error(
                    "capacity", f"Capacity cannot go below the {current.reserved} places already held or booked."
                )
        return data


class HoldInline(admin.TabularInline[SlotHold, DeliverySlot]):
    model = SlotHold
    fields = ("customer", "state", "expires_at", "order_ref", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlotHold]:
        return super().get_queryset(request).filter(state__in=["active", "booked"]).select_related("customer")


@admin.register(DeliverySlot)
class DeliverySlotAdmin(admin.ModelAdmin[DeliverySlot]):
    form = SlotForm
    list_display = (
        "starts_at",
        "ends_at",
        "zone",
        "capacity",
        "reserved",
        "booked_places",
        "remaining_places",
        "fill",
        "cutoff_at",
        "closed",
    )
    list_filter = (WindowFilter, "zone", "closed")
    list_select_related = ("zone",)
    ordering = ("starts_at", "zone__name")
    actions = ("close_slots", "reopen_slots")
    fieldsets = (
        (None, {"fields": ("zone", "starts_at", "ends_at", "cutoff_at", "fee_premium")}),
        ("Capacity", {"fields": ("capacity", "reserved", "closed", "closed_reason", "version")}),
    )
    readonly_fields = ("zone", "starts_at", "ends_at", "cutoff_at", "fee_premium", "reserved")
    inlines = (HoldInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeliverySlot]:
        return slots_with_fill(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # slots come from the zone's templates (beat, or the zone's "generate" action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # close a slot instead; its holds and shipments keep referring to it

    @admin.display(description="booked")
    def booked_places(self, obj: Any) -> int:
        return int(obj.booked)

    @admin.display(description="remaining")
    def remaining_places(self, obj: DeliverySlot) -> int:
        return obj.remaining

    @admin.display(description="fill rate")
    def fill(self, obj: DeliverySlot) -> str:
        return f"{fill_rate(obj):.0%}"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
            totals = response.context_data["cl"].queryset.aggregate(capacity=Sum("capacity"), reserved=Sum("reserved"))
            capacity, reserved = totals["capacity"] or 0, totals["reserved"] or 0
            rate = f"{reserved / capacity:.0%}" if capacity else "-"
            response.context_data["title"] = f"Delivery slots: {reserved} of {capacity} places taken ({rate})"
        return response

    def save_model(
        self, request: HttpRequest, obj: DeliverySlot, form: forms.ModelForm[DeliverySlot], change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            slots.update_slot(
                obj.pk,
                version=data["version"],
                capacity=data["capacity"],
                closed=data["closed"],
                closed_reason=data.get("closed_reason", ""),
            )
        except DeliveryError as exc:
            request._delivery_error = exc  # type: ignore[attr-defined]  # reported by response_change

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Holds are read-only here; nothing related is saved."""

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        return super().construct_change_message(request, form, [], add)  # the holds inline saved nothing

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_delivery_error", None) is None:  # nothing changed: nothing to log
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request: HttpRequest, obj: DeliverySlot) -> HttpResponse:
        error: DeliveryError | None = getattr(request, "_delivery_error", None)
        if error is not None:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _bulk(self, request: HttpRequest, queryset: QuerySet[DeliverySlot], closed: bool) -> None:
        done, failed = 0, []
        for slot_id, version in queryset.order_by("pk").values_list("pk", "version"):
            try:
                slots.update_slot(
                    slot_id, version=version, closed=closed, closed_reason="closed by dispatcher" if closed else ""
                )
                done += 1
            except DeliveryError as exc:
                failed.append(f"slot {slot_id}: {exc.message}")
        if done:
            self.message_user(request, f"{done} slot(s) {'closed' if closed else 'reopened'}.", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Close the selected slots (no new holds or orders)", permissions=["change"])
    def close_slots(self, request: HttpRequest, queryset: QuerySet[DeliverySlot]) -> None:
        self._bulk(request, queryset, closed=True)

    @admin.action(description="Reopen the selected slots", permissions=["change"])
    def reopen_slots(self, request: HttpRequest, queryset: QuerySet[DeliverySlot]) -> None:
        self._bulk(request, queryset, closed=False)
