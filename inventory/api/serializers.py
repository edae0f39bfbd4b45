"""Shapes of the inventory API. Quantities are decimal strings without padding ("12", "0.5"), as
in the catalog; `unit` says what they count."""

from typing import Any

from rest_framework import serializers

from core.api.serializers import StrictFieldsMixin
from inventory.models import MovementReason, StockItem
from inventory.services.stock import ADJUSTMENT_REASONS

QUANTITY: dict[str, Any] = {"max_digits": 14, "decimal_places": 3, "coerce_to_string": True, "normalize_output": True}


class AvailabilityQuerySerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField(min_value=1, help_text="Id of the variant.")
    warehouse = serializers.SlugField(required=False, help_text="Code of one warehouse; default: all active ones.")


class WarehouseAvailabilitySerializer(serializers.Serializer[Any]):
    warehouse = serializers.CharField(help_text="Code of the warehouse.")
    available = serializers.DecimalField(**QUANTITY)


class AvailabilitySerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField()
    sku = serializers.CharField()
    unit = serializers.CharField(help_text="piece, kg or l.")
    warehouse = serializers.CharField(allow_null=True, help_text="The warehouse asked for; null: all active ones.")
    available = serializers.DecimalField(**QUANTITY, help_text="On hand minus unexpired reservations.")
    in_stock = serializers.BooleanField()
    warehouses = WarehouseAvailabilitySerializer(many=True)


class StockItemSerializer(serializers.ModelSerializer[StockItem]):
    warehouse = serializers.CharField(source="warehouse.code")
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField(source="variant.sku")
    unit = serializers.CharField(source="variant.unit")
    on_hand = serializers.DecimalField(**QUANTITY)
    reserved = serializers.DecimalField(**QUANTITY)
    available = serializers.DecimalField(**QUANTITY)
    low_stock_threshold = serializers.DecimalField(**QUANTITY)
    version = serializers.IntegerField(help_text="Send it back with an adjustment (optimistic locking).")

    class Meta:
        model = StockItem
        fields = (
            "id",
            "warehouse",
            "variant",
            "sku",
            "unit",
            "on_hand",
            "reserved",
            "available",
            "low_stock_threshold",
            "version",
            "updated_at",
        )


class StockQuerySerializer(serializers.Serializer[Any]):
    warehouse = serializers.SlugField(required=False)
    sku = serializers.CharField(required=False, max_length=64)
    low = serializers.BooleanField(required=False, help_text="true: only items at or below their threshold.")


class _ItemTarget(StrictFieldsMixin, serializers.Serializer[Any]):
    warehouse = serializers.SlugField(help_text="Code of the warehouse.")
    variant = serializers.IntegerField(required=False, min_value=1, help_text="Id of the variant (or give `sku`).")
    sku = serializers.CharField(required=False, max_length=64)
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="The document, e.g. a delivery note or count sheet number.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("variant" in attrs) == bool(attrs.get("sku")):
            raise serializers.ValidationError({"variant": ["Give either variant or sku."]})
        return attrs


class AdjustmentSerializer(_ItemTarget):
    on_hand = serializers.DecimalField(**QUANTITY, required=False, help_text="The counted on-hand.")
    delta = serializers.DecimalField(**QUANTITY, required=False, help_text="Or a signed change of on-hand.")
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS], default=MovementReason.ADJUSTMENT
    )
    version = serializers.IntegerField(min_value=1, help_text="The stock item's version you read.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if ("on_hand" in attrs) == ("delta" in attrs):
            raise serializers.ValidationError({"on_hand": ["Give either on_hand or delta."]})
        return attrs


class ReceiptSerializer(_ItemTarget):
    quantity = serializers.DecimalField(**QUANTITY, help_text="What arrived, in the variant's unit.")
