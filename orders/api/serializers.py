"""Shapes of the orders API: carts, checkout summaries and orders (customer and staff), and the
inputs each write accepts (strict: an unknown field is a 400 naming it)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictFieldsMixin, money_field, quantity_field
from core.api.vat import VatBreakdownSerializer, rate_field
from delivery.api.serializers import TrackingSerializer
from orders.models import Order, OrderHistory, OrderLine, OrderStatus, Substitution
from orders.services import lifecycle, picking, tax
from orders.services.cart import PricedCart, PricedLine
from orders.services.checkout import Checkout
from orders.services.pricing import Summary
from promotions import calculation

# --- Cart and checkout ---------------------------------------------------------------------------


class CartLineSerializer(serializers.Serializer[PricedLine]):
    id = serializers.IntegerField(source="line.pk")
    variant = serializers.IntegerField(source="line.variant_id")
    sku = serializers.CharField(source="line.variant.sku")
    name = serializers.CharField()
    unit = serializers.CharField(source="line.variant.unit")
    quantity = quantity_field(source="line.quantity")
    unit_price = money_field(help_text="the catalog's price now, per unit")
    line_total = money_field(source="total")
    price_changed_from = money_field(allow_null=True, help_text="the price you last saw, when it changed since")
    substitution = serializers.ChoiceField(source="line.substitution", choices=Substitution.choices)
    substitute_variant = serializers.IntegerField(source="line.substitute_variant_id", allow_null=True)
    problems = serializers.ListField(child=serializers.CharField(), help_text="why the line cannot be ordered as is")
    discount_amount = money_field(help_text="what promotions and the voucher take off line_total")
    tax_class = serializers.CharField(source="line.variant.tax_class", help_text="standard, reduced or zero")
    tax_rate = rate_field(source="tax.rate", help_text="VAT percent in the delivery country")
    vat_amount = money_field(source="tax.vat", help_text="the VAT in line_total (after discounts), rounded per line")


class DiscountLineSerializer(serializers.Serializer[Any]):
    promotion = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=calculation.KINDS)
    code = serializers.CharField(allow_null=True, help_text="the voucher code; null for an automatic promotion")
    amount = money_field(help_text="off the goods, or off the delivery fee for free delivery")


class VoucherSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    applied = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=sorted(calculation.REASONS),
        allow_null=True,
        help_text="why it does not apply (stable code); placing the order is refused with it until it is removed",
    )
    message = serializers.CharField(allow_blank=True)


def discount_lines(summary: Summary) -> list[dict[str, Any]]:
    return [
        {
            "promotion": applied.rule.id,
            "name": applied.rule.name,
            "kind": applied.rule.kind,
            "code": applied.rule.code or None,
            "amount": summary.delivery_discount if applied.delivery else applied.amount,
        }
        for applied in summary.discounts.applied
    ]


def voucher_of(summary: Summary) -> dict[str, Any] | None:
    voucher = summary.discounts.voucher
    if voucher is None:
        return None
    return {
        "code": voucher.code,
        "applied": voucher.applied,
        "reason": voucher.reason or None,
        "message": voucher.message,
    }


class DiscountFieldsMixin(serializers.Serializer[Any]):
    def _summary(self, obj: Any) -> Summary:
        summary: Summary = obj.summary if isinstance(obj, PricedCart) else obj.priced.summary
        return summary

    @extend_schema_field(DiscountLineSerializer(many=True))
    def get_discounts(self, obj: Any) -> list[dict[str, Any]]:
        return list(DiscountLineSerializer(discount_lines(self._summary(obj)), many=True).data)

    @extend_schema_field(VoucherSerializer(allow_null=True))
    def get_voucher(self, obj: Any) -> dict[str, Any] | None:
        voucher = voucher_of(self._summary(obj))
        return dict(VoucherSerializer(voucher).data) if voucher is not None else None


class CartSerializer(DiscountFieldsMixin, serializers.Serializer[PricedCart]):
    token = serializers.UUIDField(
        source="cart.token", allow_null=True, help_text="send as X-Cart-Token while signed out (none while signed in)"
    )
    version = serializers.IntegerField(source="cart.version")
    currency = serializers.CharField(source="summary.currency")
    lines = CartLineSerializer(many=True)
    subtotal = money_field(source="summary.subtotal")
    discount_total = money_field(source="summary.discount_total", help_text="off the goods: the lines' discounts")
    discounts = serializers.SerializerMethodField(help_text="each promotion or voucher that applies, and how much")
    voucher = serializers.SerializerMethodField(help_text="the code you entered, and why it does not apply if not")
    vat = VatBreakdownSerializer(source="vat.breakdown", help_text="VAT included in the subtotal, per rate")
    can_check_out = serializers.SerializerMethodField()

    def get_can_check_out(self, obj: PricedCart) -> bool:
        return bool(obj.lines) and not obj.summary.problems

    def to_representation(self, instance: PricedCart) -> Any:
        tax.basket_vat(instance)
        return super().to_representation(instance)


class CartLineInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    variant = serializers.IntegerField(min_value=1)
    quantity = serializers.CharField(max_length=20, help_text="decimal string; weighed items in kg or l")
    substitution = serializers.ChoiceField(
        choices=Substitution.choices, required=False, help_text="similar for a new line; an existing line keeps its own"
    )
    substitute_variant = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class CartLineUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    quantity = serializers.CharField(max_length=20, required=False)
    substitution = serializers.ChoiceField(choices=Substitution.choices, required=False)
    substitute_variant = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class VoucherInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    code = serializers.CharField(max_length=32, help_text="case does not matter")


class CheckoutInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    address = serializers.IntegerField(min_value=1, help_text="one of your addresses")
    slot = serializers.IntegerField(min_value=1, help_text="a slot of the address's zone (delivery/slots/)")


class PlaceOrderInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    payment_gateway = serializers.CharField(max_length=32)
    payment_method = serializers.CharField(max_length=255, help_text="the gateway's token for the card or wallet")
    expected_total = money_field(required=False, help_text="the total you agreed to; refused with 409 if it changed")


class CheckoutSerializer(DiscountFieldsMixin, serializers.Serializer[Checkout]):
    ready = serializers.BooleanField(help_text="placeable now")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="the held slot and stock last until then")
    address = serializers.IntegerField(source="address.pk", allow_null=True, default=None)
    zone = serializers.CharField(source="zone.code", allow_null=True, default=None)
    slot = serializers.SerializerMethodField()
    currency = serializers.CharField(source="priced.summary.currency")
    lines = CartLineSerializer(source="priced.lines", many=True)
    subtotal = money_field(source="priced.summary.subtotal")
    discount_total = money_field(source="priced.summary.discount_total", help_text="off the goods")
    delivery_fee = money_field(source="priced.summary.delivery_fee")
    delivery_discount = money_field(source="priced.summary.delivery_discount", help_text="off the delivery fee")
    discounts = serializers.SerializerMethodField(help_text="each promotion or voucher that applies, and how much")
    voucher = serializers.SerializerMethodField(help_text="the code you entered, and why it does not apply if not")
    total = money_field(source="priced.summary.total")
    authorized_amount = money_field(
        source="priced.summary.authorized_amount",
        help_text="held on your card: the total plus a margin for weighed items; you pay what is picked",
    )
    minimum_order = money_field(source="zone.minimum_order", allow_null=True, default=None)
    vat = VatBreakdownSerializer(
        source="priced.vat.breakdown", help_text="VAT included in the total (delivery fee too), per rate"
    )

    def to_representation(self, instance: Checkout) -> Any:
        tax.basket_vat(instance.priced)
        return super().to_representation(instance)

    def get_slot(self, obj: Checkout) -> dict[str, Any] | None:
        if obj.slot is None:
            return None
        return {
            "id": obj.slot.pk,
            "starts_at": obj.slot.starts_at,
            "ends_at": obj.slot.ends_at,
            "cutoff_at": obj.slot.cutoff_at,
            "hold": obj.hold.pk if obj.hold else None,
        }


# --- Orders --------------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer[OrderLine]):
    variant = serializers.IntegerField(source="variant_id")
    unit_price = money_field()
    quantity = quantity_field()
    line_total = money_field()
    discount_amount = money_field(help_text="what promotions took off line_total")
    final_discount_amount = money_field(allow_null=True, help_text="as picked")
    substitute_variant = serializers.IntegerField(source="substitute_variant_id", allow_null=True)
    picked_quantity = quantity_field(allow_null=True)
    picked_variant = serializers.IntegerField(source="picked_variant_id", allow_null=True)
    picked_unit_price = money_field(allow_null=True)
    final_line_total = money_field(allow_null=True)
    tax_rate = rate_field(help_text="VAT percent (of the picked item once picked)")
    vat_amount = money_field(help_text="the VAT in the line's total (as picked once picked), rounded per line")
    change = serializers.SerializerMethodField(help_text="substituted, not_available, short, lighter or heavier")

    class Meta:
        model = OrderLine
        fields = (
            "id",
            "variant",
            "sku",
            "name",
            "unit",
            "unit_price",
            "quantity",
            "line_total",
            "discount_amount",
            "substitution",
            "substitute_variant",
            "picked_quantity",
            "picked_variant",
            "picked_sku",
            "picked_name",
            "picked_unit_price",
            "final_line_total",
            "final_discount_amount",
            "tax_class",
            "tax_rate",
            "vat_amount",
            "change",
        )

    def get_change(self, obj: OrderLine) -> str | None:
        return picking.line_change(obj)


class OrderHistorySerializer(serializers.ModelSerializer[OrderHistory]):
    class Meta:
        model = OrderHistory
        fields = ("at", "from_status", "to_status", "actor_kind", "note")


class OrderSummarySerializer(serializers.ModelSerializer[Order]):
    number = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    total = money_field()
    final_total = money_field(allow_null=True)

    class Meta:
        model = Order
        fields: tuple[str, ...] = (
            "id",
            "number",
            "status",
            "status_display",
            "currency",
            "total",
            "final_total",
            "placed_at",
            "slot_starts_at",
            "slot_ends_at",
        )


class OrderSerializer(OrderSummarySerializer):
    subtotal = money_field()
    delivery_fee = money_field()
    discount_total = money_field(help_text="promotions and vouchers off the goods, as placed")
    delivery_discount = money_field(help_text="off the delivery fee")
    final_discount_total = money_field(allow_null=True, help_text="off the goods as picked")
    authorized_amount = money_field()
    final_subtotal = money_field(allow_null=True)
    refunded_amount = money_field()
    lines = OrderLineSerializer(many=True)
    history = OrderHistorySerializer(many=True)
    can_cancel = serializers.SerializerMethodField(help_text="whether you can still cancel it yourself")
    tracking = serializers.SerializerMethodField()
    vat = serializers.SerializerMethodField(help_text="VAT per rate, as placed (as picked once packed)")

    class Meta(OrderSummarySerializer.Meta):
        fields = (
            *OrderSummarySerializer.Meta.fields,
            "subtotal",
            "discount_total",
            "delivery_fee",
            "delivery_discount",
            "authorized_amount",
            "final_subtotal",
            "final_discount_total",
            "refunded_amount",
            "shipping_address",
            "cutoff_at",
            "confirmed_at",
            "packed_at",
            "delivered_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "can_cancel",
            "lines",
            "history",
            "tracking",
            "vat",
        )

    @extend_schema_field(VatBreakdownSerializer)
    def get_vat(self, obj: Order) -> dict[str, Any]:
        return dict(VatBreakdownSerializer(tax.order_vat(obj, list(obj.lines.all()))).data)

    def get_can_cancel(self, obj: Order) -> bool:
        return lifecycle.customer_may_cancel(obj)

    def get_tracking(self, obj: Order) -> dict[str, Any] | None:
        shipment = self.context.get("shipment")
        return dict(TrackingSerializer(shipment).data) if shipment is not None else None


class CancelInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- Staff ---------------------------------------------------------------------------------------


class StaffOrderSerializer(OrderSerializer):
    customer = serializers.EmailField(source="customer.email")
    payment = serializers.IntegerField(source="payment_id", allow_null=True)

    class Meta(OrderSerializer.Meta):
        fields = (
            *OrderSerializer.Meta.fields,
            "customer",
            "warehouse_code",
            "zone",
            "slot",
            "payment",
            "payment_gateway",
            "version",
        )


class StaffOrderListSerializer(OrderSummarySerializer):
    customer = serializers.EmailField(source="customer.email")

    class Meta(OrderSummarySerializer.Meta):
        fields = (*OrderSummarySerializer.Meta.fields, "customer", "warehouse_code", "slot")


class StaffOrderQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    warehouse = serializers.CharField(max_length=40, required=False)
    slot = serializers.IntegerField(min_value=1, required=False)
    customer = serializers.IntegerField(min_value=1, required=False)
    placed_after = serializers.DateTimeField(required=False)
    placed_before = serializers.DateTimeField(required=False)
    number = serializers.CharField(max_length=20, required=False)


class PickingListQuerySerializer(serializers.Serializer[Any]):
    warehouse = serializers.CharField(max_length=40)
    slot = serializers.IntegerField(min_value=1, required=False)


class PickInputLineSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    line = serializers.IntegerField(min_value=1)
    picked_quantity = serializers.CharField(max_length=20, help_text="0 when none was found")
    substitute_variant = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class PickInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    lines = PickInputLineSerializer(many=True, allow_empty=False)


class RefundInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    amount = money_field(required=False, help_text="leave out to refund everything left")
    reason = serializers.CharField(max_length=255)
