"""Shipments for dispatchers: by status and day, bulk transitions and courier assignment, each one
through the shipment service (the transitions table decides; an illegal move is reported and
changes nothing). Holds, order facts and notifications are shown read-only."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin.readonly import ReadOnlyAdmin
from delivery import selectors
from delivery.admin.slots import WindowFilter
from delivery.errors import DeliveryError
from delivery.models import (
    Courier,
    DeliveryOrder,
    DispatchNotification,
    Shipment,
    ShipmentHistory,
    ShipmentStatus,
    SlotHold,
)
from delivery.services import shipments
from delivery.services.shipments import Actor


class ShipmentActionForm(ActionForm):
    courier = forms.ModelChoiceField(
        queryset=Courier.objects.filter(is_active=True),
        required=False,
        empty_label="(courier)",
        help_text="for “Assign the chosen courier”",
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.TextInput(attrs={"placeholder": "note"}))


class SlotDayFilter(WindowFilter):
    title = "slot day"
    parameter_name = "slot_day"
    field = "slot__starts_at"


class AttentionFilter(admin.SimpleListFilter):
    """What the dispatcher's dashboard links to: late (the slot ended, not delivered) and
    unassigned (no courier yet) shipments."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("late", "Late (slot ended)"), ("unassigned", "No courier")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> QuerySet[Shipment]:
        if self.value() == "late":
            return queryset & selectors.late_shipments(timezone.now())
        if self.value() == "unassigned":
            return queryset & selectors.unassigned_shipments()
        return queryset


class HistoryInline(admin.TabularInline[ShipmentHistory, Shipment]):
    model = ShipmentHistory
    fields = ("at", "kind", "from_status", "to_status", "courier", "actor_label", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _transition_action(status: ShipmentStatus) -> Any:
    def action(modeladmin: "ShipmentAdmin", request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        modeladmin.bulk_transition(request, queryset, status)

    action.__name__ = f"move_to_{status.value}"
    return admin.action(description=f"Move to “{status.label}”", permissions=["change"])(action)


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin[Shipment]):
    list_display = ("order", "status", "slot", "zone", "courier", "status_changed_at")
    list_filter = ("status", AttentionFilter, SlotDayFilter, "zone", "courier")
    list_select_related = ("slot__zone", "zone", "courier")
    search_fields = ("=order_ref", "order_number")
    ordering = ("slot__starts_at", "id")
    action_form = ShipmentActionForm
    actions = [
        *(_transition_action(status) for status in ShipmentStatus if status != ShipmentStatus.PENDING),
        "assign_chosen_courier",
        "assign_least_loaded_courier",
    ]
    fields = (
        "order_ref",
        "order_number",
        "customer_ref",
        "status",
        "slot",
        "zone",
        "courier",
        "status_changed_at",
        "created_at",
    )
    readonly_fields = fields
    inlines = (HistoryInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shipments come from confirmed orders

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="order", ordering="order_number")
    def order(self, obj: Shipment) -> str:
        return obj.order_number or obj.order_ref

    def _report(self, request: HttpRequest, done: int, verb: str, failures: list[str]) -> None:
        if done:
            self.message_user(request, f"{done} shipment(s) {verb}.", messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    def bulk_transition(self, request: HttpRequest, queryset: QuerySet[Shipment], status: ShipmentStatus) -> None:
        """One service call (one transaction) per shipment, in id order: an illegal move of one
        shipment is reported and leaves the others' moves in place."""
        actor, note = Actor.of(request.user), request.POST.get("note", "")
        done, failures = 0, []
        for shipment in queryset.order_by("pk"):
            try:
                shipments.transition_shipment(shipment.pk, status, actor=actor, note=note)
                done += 1
            except DeliveryError as exc:
                failures.append(f"Shipment of order {shipment.order_number or shipment.order_ref}: {exc.message}")
        self._report(request, done, f"moved to {status.label.lower()}", failures)

    def _bulk_assign(self, request: HttpRequest, queryset: QuerySet[Shipment], courier_id: int | None) -> None:
        actor, note = Actor.of(request.user), request.POST.get("note", "")
        done, failures = 0, []
        for shipment in queryset.order_by("pk"):
            try:
                shipments.assign_courier(shipment.pk, courier_id=courier_id, actor=actor, note=note)
                done += 1
            except DeliveryError as exc:
                failures.append(f"Shipment of order {shipment.order_number or shipment.order_ref}: {exc.message}")
        self._report(request, done, "assigned", failures)

    @admin.action(description="Assign the chosen courier", permissions=["change"])
    def assign_chosen_courier(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        raw = request.POST.get("courier", "")
        if not raw.isdigit():
            self.message_user(request, "Choose a courier next to the action first.", messages.ERROR)
            return
        self._bulk_assign(request, queryset, int(raw))

    @admin.action(description="Assign the least loaded courier of the zone", permissions=["change"])
    def assign_least_loaded_courier(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        self._bulk_assign(request, queryset, None)


@admin.register(SlotHold)
class SlotHoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "slot", "customer", "owner_type", "owner_id", "state", "expires_at", "order_ref")
    list_filter = ("state", "slot__zone")
    list_select_related = ("slot__zone", "customer")
    search_fields = ("=order_ref", "customer__email", "=owner_id")
    ordering = ("-id",)


@admin.register(DeliveryOrder)
class DeliveryOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "order_ref",
        "order_number",
        "customer_ref",
        "slot",
        "placed_seen_at",
        "confirmed_at",
        "cancelled_at",
    )
    search_fields = ("=order_ref", "order_number")
    ordering = ("-id",)


@admin.register(DispatchNotification)
class DispatchNotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "shipment", "sent_at", "message")
    list_filter = ("kind",)
    list_select_related = ("shipment",)
    ordering = ("-id",)
