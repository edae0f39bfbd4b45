"""Serializers of the delivery API: query and body validation, and the shapes of the answers."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import serializers

from core.api.serializers import money_field
from delivery.models import DeliverySlot, HoldState, Shipment, ShipmentHistory, ShipmentStatus, SlotHold
from delivery.selectors import UNAVAILABLE_MESSAGES, SlotAvailability, fill_rate
from delivery.services.shipments import TRANSITIONS

MAX_DAYS = 14


MONEY_DIGITS = 10  # the zone and slot columns' width


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare rather than silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: ["This field is not allowed."] for key in unknown})
        return super().to_internal_value(data)


# --- customers ------------------------------------------------------------------------------------


class SlotQuerySerializer(serializers.Serializer[Any]):
    postal_code = serializers.CharField(required=False, max_length=20)
    country = serializers.CharField(required=False, max_length=2, help_text="ISO code; default per settings")
    address = serializers.IntegerField(required=False, help_text="one of your addresses (signed in)")
    date = serializers.DateField(required=False, help_text="only the slots of this day (zone's local date)")
    days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DAYS)
    subtotal = money_field(
        max_digits=MONEY_DIGITS, required=False, min_value=0, help_text="the cart's subtotal, for free delivery"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "postal_code" not in attrs and "address" not in attrs:
            raise serializers.ValidationError({"postal_code": ["Give a postal_code (or an address)."]})
        attrs.setdefault("country", settings.DELIVERY_DEFAULT_COUNTRY)
        attrs.setdefault("days", settings.DELIVERY_SLOTS_DAYS_AHEAD)
        return attrs


class ZoneSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()
    currency = serializers.CharField()
    delivery_fee = money_field(max_digits=MONEY_DIGITS)
    free_delivery_threshold = money_field(max_digits=MONEY_DIGITS, allow_null=True)
    minimum_order = money_field(max_digits=MONEY_DIGITS)


class ResolutionSerializer(serializers.Serializer[Any]):
    country = serializers.CharField()
    postal_code = serializers.CharField()
    match = serializers.CharField(help_text="exact or prefix")
    matched_value = serializers.CharField()
    reason = serializers.CharField(help_text="why the address belongs to this zone")
    zone = ZoneSerializer()


class SlotAvailabilitySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="slot.pk")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    cutoff_at = serializers.DateTimeField(source="slot.cutoff_at", help_text="holds and orders close then")
    capacity = serializers.IntegerField(source="slot.capacity")
    remaining = serializers.IntegerField()
    fee = money_field(
        max_digits=MONEY_DIGITS, help_text="delivery fee in this slot, after free delivery for the given subtotal"
    )
    fee_premium = money_field(max_digits=MONEY_DIGITS, source="slot.fee_premium")
    currency = serializers.CharField()
    available = serializers.BooleanField()
    unavailable_reason = serializers.CharField(allow_null=True, help_text="slot_closed, slot_past_cutoff or slot_full")
    unavailable_message = serializers.SerializerMethodField()

    def get_unavailable_message(self, obj: SlotAvailability) -> str | None:
        return UNAVAILABLE_MESSAGES.get(obj.unavailable_reason) if obj.unavailable_reason else None


class SlotPageSerializer(serializers.Serializer[Any]):
    """The shape of the slots answer (for the schema)."""

    resolution = ResolutionSerializer()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SlotAvailabilitySerializer(many=True)


class SlotSummarySerializer(serializers.ModelSerializer[DeliverySlot]):
    zone = serializers.CharField(source="zone.code")

    class Meta:
        model = DeliverySlot
        fields = ("id", "zone", "starts_at", "ends_at", "cutoff_at")


class HoldCreateSerializer(StrictSerializer):
    slot = serializers.IntegerField(min_value=1)


class HoldSerializer(serializers.ModelSerializer[SlotHold]):
    slot = SlotSummarySerializer()
    extended = serializers.SerializerMethodField()
    can_extend = serializers.SerializerMethodField()

    class Meta:
        model = SlotHold
        fields = ("id", "slot", "state", "expires_at", "extended", "can_extend", "order_ref", "created_at")

    def get_extended(self, obj: SlotHold) -> bool:
        return obj.extended_at is not None

    def get_can_extend(self, obj: SlotHold) -> bool:
        return obj.state == HoldState.ACTIVE and obj.extended_at is None


class TrackingStepSerializer(serializers.ModelSerializer[ShipmentHistory]):
    status = serializers.CharField(source="to_status")

    class Meta:
        model = ShipmentHistory
        fields = ("status", "at")


class TrackingSerializer(serializers.ModelSerializer[Shipment]):
    """What a customer may see of their shipment: no staff names, no other customers."""

    slot = SlotSummarySerializer()
    status_display = serializers.CharField(source="get_status_display")
    courier = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = (
            "order_ref",
            "order_number",
            "status",
            "status_display",
            "status_changed_at",
            "slot",
            "courier",
            "history",
        )

    def get_courier(self, obj: Shipment) -> str | None:
        return obj.courier.name if obj.courier else None

    def get_history(self, obj: Shipment) -> list[dict[str, Any]]:
        steps = [h for h in obj.history.all() if h.kind == "status"]
        return list(TrackingStepSerializer(steps, many=True).data)


# --- staff ----------------------------------------------------------------------------------------


class StaffSlotSerializer(serializers.ModelSerializer[DeliverySlot]):
    zone = serializers.CharField(source="zone.code")
    remaining = serializers.IntegerField()
    booked = serializers.SerializerMethodField(help_text="places booked for orders (the rest of reserved are holds)")
    fill_rate = serializers.SerializerMethodField()

    class Meta:
        model = DeliverySlot
        fields = (
            "id",
            "zone",
            "starts_at",
            "ends_at",
            "cutoff_at",
            "capacity",
            "reserved",
            "booked",
            "remaining",
            "fill_rate",
            "fee_premium",
            "closed",
            "closed_reason",
            "version",
        )

    def get_booked(self, obj: DeliverySlot) -> int:
        return int(getattr(obj, "booked", obj.holds.filter(state=HoldState.BOOKED).count()))

    def get_fill_rate(self, obj: DeliverySlot) -> float:
        return round(fill_rate(obj), 4)


class StaffSlotUpdateSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, help_text="the version you read; a stale one gets 409")
    capacity = serializers.IntegerField(required=False, min_value=0)
    closed = serializers.BooleanField(required=False)
    closed_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class StaffHistorySerializer(serializers.ModelSerializer[ShipmentHistory]):
    courier = serializers.CharField(source="courier.name", allow_null=True, default=None)

    class Meta:
        model = ShipmentHistory
        fields = ("kind", "from_status", "to_status", "courier", "actor_label", "note", "at")


class StaffShipmentSerializer(serializers.ModelSerializer[Shipment]):
    slot = SlotSummarySerializer()
    zone = serializers.CharField(source="zone.code")
    courier = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    history = StaffHistorySerializer(many=True)

    class Meta:
        model = Shipment
        fields = (
            "id",
            "order_ref",
            "order_number",
            "customer_ref",
            "status",
            "allowed_transitions",
            "status_changed_at",
            "slot",
            "zone",
            "courier",
            "history",
        )

    def get_courier(self, obj: Shipment) -> dict[str, Any] | None:
        return {"id": obj.courier.pk, "name": obj.courier.name} if obj.courier else None

    def get_allowed_transitions(self, obj: Shipment) -> list[str]:
        return sorted(TRANSITIONS[obj.status])


class StaffShipmentQuerySerializer(serializers.Serializer[Any]):
    status = serializers.MultipleChoiceField(choices=ShipmentStatus.choices, required=False)
    zone = serializers.CharField(required=False)
    courier = serializers.IntegerField(required=False)
    date = serializers.DateField(required=False, help_text="shipments whose slot starts on this UTC date")


class StaffSlotQuerySerializer(serializers.Serializer[Any]):
    zone = serializers.CharField(required=False)
    date = serializers.DateField(
        required=False, help_text="slots starting on this UTC date (default: today and tomorrow)"
    )


class TransitionSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class AssignSerializer(StrictSerializer):
    courier = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="a courier id; none for the least loaded of the zone"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
