"""Shapes of the payments API: money as strings with two decimals next to a `currency`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.api.serializers import StrictFieldsMixin
from core.money import CENT
from payments.models import Payment, PaymentState, PaymentTransaction

if TYPE_CHECKING:
    from accounts.models import User


class TransactionSerializer(serializers.ModelSerializer[PaymentTransaction]):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True, help_text="the staff member who asked, if any"
    )

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "kind",
            "status",
            "amount",
            "final",
            "reason",
            "provider_reference",
            "failure_code",
            "failure_message",
            "attempts",
            "actor",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    customer_email = serializers.EmailField(source="customer.email", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order_ref",
            "customer",
            "customer_email",
            "gateway",
            "state",
            "currency",
            "amount",
            "authorized_amount",
            "captured_amount",
            "capture_pending_amount",
            "refunded_amount",
            "refund_pending_amount",
            "payment_method_label",
            "failure_code",
            "failure_message",
            "authorized_at",
            "expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentDetailSerializer(PaymentSerializer):
    transactions = TransactionSerializer(many=True, read_only=True)

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "transactions"]
        read_only_fields = fields


class OperationSerializer(serializers.Serializer[Any]):
    """What a capture, void or refund request answers: the pending transaction and its payment."""

    transaction = TransactionSerializer()
    payment = PaymentDetailSerializer()


class PaymentQuerySerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=PaymentState.choices, required=False)
    gateway = serializers.CharField(max_length=32, required=False)
    order_ref = serializers.CharField(max_length=64, required=False)
    customer = serializers.IntegerField(min_value=1, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, required=False)


class StartPaymentSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    order_ref = serializers.CharField(max_length=64)
    customer = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=CENT)
    currency = serializers.CharField(min_length=3, max_length=3)
    gateway = serializers.CharField(max_length=32)
    payment_method = serializers.CharField(
        max_length=255, allow_blank=True, default="", help_text="the gateway's token; a test card number for test_card"
    )


class CaptureSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        required=False,
        help_text="default: all that is left of the authorization",
    )
    final = serializers.BooleanField(default=True, help_text="release the rest of the authorization")


class RefundSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=CENT)
    reason = serializers.CharField(max_length=255)


class VoidSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255, required=False, default="")


class WebhookReceiptSerializer(serializers.Serializer[Any]):
    received = serializers.CharField(help_text="the provider's event id")
    duplicate = serializers.BooleanField(help_text="true when this event had been received and applied before")
    outcome = serializers.CharField()
