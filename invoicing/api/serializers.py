"""Shapes of the invoices API: a customer's invoices and credit notes of an order, with links to
the HTML and PDF, and one document with its lines and VAT per rate."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import money_field, quantity_field
from core.api.vat import VatBreakdownSerializer, rate_field
from invoicing.models import Document, DocumentKind, DocumentLine
from invoicing.selectors import document_breakdown


class DocumentLinksSerializer(serializers.Serializer[Any]):
    self = serializers.CharField(help_text="this document as JSON")
    html = serializers.CharField()
    pdf = serializers.CharField()


def links_of(document: Document) -> dict[str, str]:
    args = (document.order_id, document.pk)
    return {
        "self": reverse("v1:invoicing:order-invoice", args=args),
        "html": reverse("v1:invoicing:order-invoice-html", args=args),
        "pdf": reverse("v1:invoicing:order-invoice-pdf", args=args),
    }


class DocumentSummarySerializer(serializers.ModelSerializer[Document]):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, help_text="invoice or credit_note")
    order = serializers.IntegerField(source="order_id")
    credits_invoice = serializers.CharField(
        source="invoice.number", allow_null=True, default=None, help_text="credit notes: the invoice's number"
    )
    net = money_field()
    vat = money_field()
    gross = money_field()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "number",
            "issued_at",
            "order",
            "credits_invoice",
            "currency",
            "net",
            "vat",
            "gross",
            "links",
        )

    @extend_schema_field(DocumentLinksSerializer)
    def get_links(self, obj: Document) -> dict[str, str]:
        return links_of(obj)


class DocumentLineSerializer(serializers.ModelSerializer[DocumentLine]):
    quantity = quantity_field(allow_null=True)
    unit_price = money_field(allow_null=True, help_text="gross, per unit")
    tax_rate = rate_field()
    net = money_field()
    vat = money_field()
    gross = money_field()

    class Meta:
        model = DocumentLine
        fields = (
            "position",
            "sku",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "tax_class",
            "tax_rate",
            "net",
            "vat",
            "gross",
        )


class PartySerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    address = serializers.CharField()
    vat_id = serializers.CharField(required=False)
    email = serializers.CharField(required=False)


class DocumentSerializer(DocumentSummarySerializer):
    seller = PartySerializer()
    buyer = PartySerializer()
    reason = serializers.CharField(help_text="credit notes: why the money went back")
    lines = DocumentLineSerializer(many=True)
    vat_breakdown = serializers.SerializerMethodField()

    class Meta(DocumentSummarySerializer.Meta):
        fields = (*DocumentSummarySerializer.Meta.fields, "reason", "seller", "buyer", "lines", "vat_breakdown")

    @extend_schema_field(VatBreakdownSerializer)
    def get_vat_breakdown(self, obj: Document) -> dict[str, Any]:
        return dict(VatBreakdownSerializer(document_breakdown(obj)).data)
