"""Zones with their postal codes and weekly slot templates, and couriers.

These are configuration records without concurrency rules of their own; their forms validate the
model constraints, and postal codes are normalised the way the resolver reads them."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from delivery.errors import DeliveryError
from delivery.models import Courier, SlotTemplate, Zone, ZonePostalCode
from delivery.selectors import normalize_country, normalize_postal_code
from delivery.services import slots
from delivery.services.shipments import ACTIVE_STATUSES


class PostalCodeForm(forms.ModelForm[ZonePostalCode]):
    class Meta:
        model = ZonePostalCode
        fields = ("country", "match", "value")

    def clean_country(self) -> str:
        try:
            return normalize_country(self.cleaned_data["country"])
        except DeliveryError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_value(self) -> str:
        try:
            return normalize_postal_code(self.cleaned_data["value"])
        except DeliveryError as exc:
            raise forms.ValidationError(exc.message) from None


class PostalCodeInline(admin.TabularInline[ZonePostalCode, Zone]):
    model = ZonePostalCode
    form = PostalCodeForm
    extra = 1


class SlotTemplateInline(admin.TabularInline[SlotTemplate, Zone]):
    model = SlotTemplate
    extra = 1
    fields = ("weekday", "starts_at", "ends_at", "capacity", "cutoff_minutes", "fee_premium", "is_active")


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin[Zone]):
    list_display = (
        "name",
        "code",
        "currency",
        "delivery_fee",
        "free_delivery_threshold",
        "minimum_order",
        "warehouse_code",
        "postal_codes_list",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "code", "postal_codes__value")
    prepopulated_fields = {"code": ("name",)}
    inlines = (PostalCodeInline, SlotTemplateInline)
    actions = ("generate_slots",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Zone]:
        return super().get_queryset(request).prefetch_related("postal_codes")

    @admin.display(description="postal codes")
    def postal_codes_list(self, obj: Zone) -> str:
        return ", ".join(str(code) for code in obj.postal_codes.all()[:8])

    @admin.action(description="Generate the dated slots now (all zones)", permissions=["change"])
    def generate_slots(self, request: HttpRequest, queryset: QuerySet[Zone]) -> None:
        created = slots.generate_slots()
        self.message_user(request, f"{created} new slot(s) generated.", messages.SUCCESS)


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin[Courier]):
    list_display = ("name", "phone", "zones_list", "active_shipments", "is_active")
    list_filter = ("is_active", "zones")
    search_fields = ("name", "phone")
    filter_horizontal = ("zones",)
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Courier]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("zones")
            .annotate(active=Count("shipments", filter=Q(shipments__status__in=ACTIVE_STATUSES)))
        )

    @admin.display(description="zones")
    def zones_list(self, obj: Courier) -> str:
        return ", ".join(zone.name for zone in obj.zones.all())

    @admin.display(description="active shipments", ordering="active")
    def active_shipments(self, obj: Any) -> int:
        return int(obj.active)
