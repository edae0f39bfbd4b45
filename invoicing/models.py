"""Invoices and credit notes: numbered without gaps per legal entity, kind and year, immutable once
issued (the database refuses UPDATE and DELETE of a document and its lines, migration 0002), with
the seller and buyer as they were, their lines and VAT per rate (docs/decisions/0053)."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from catalog.taxes import TaxClass

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
RATE: dict[str, Any] = {"max_digits": 5, "decimal_places": 2}
# gross = net + vat, to the cent: exact on PostgreSQL's numeric, and true on SQLite, which computes
# with floats (the embedded run).
HALF_CENT = Decimal("0.005")
NET_PLUS_VAT = Q(gross__gt=F("net") + F("vat") - HALF_CENT) & Q(gross__lt=F("net") + F("vat") + HALF_CENT)


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "invoice"
    CREDIT_NOTE = "credit_note", "credit note"


class NumberSeries(models.Model):
    """The counter of one number series. Issuing a document locks its row in the transaction that
    inserts the document, so numbers are taken in commit order: no gaps, no duplicates."""

    entity = models.CharField(max_length=20)
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "number series"
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "year"], name="invoicing_one_series"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.kind} {self.year}: {self.last_number}"


class Document(models.Model):
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    entity = models.CharField(max_length=20, help_text="the legal entity that issued it")
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes", help_text="credited"
    )
    refund_ref = models.CharField(max_length=64, blank=True, help_text="the payment refund it documents")
    reason = models.CharField(max_length=255, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    currency = models.CharField(max_length=3)
    seller = models.JSONField()
    buyer = models.JSONField()
    net = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["issued_at", "id"]
        permissions = [("resend_document", "Can send invoices and credit notes again")]
        indexes = [models.Index(fields=["order", "issued_at"], name="invoicing_order_docs")]
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "year", "sequence"], name="invoicing_number_once"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="invoice"), name="invoicing_one_invoice_per_order"
            ),
            models.UniqueConstraint(
                fields=["refund_ref"], condition=Q(kind="credit_note"), name="invoicing_one_note_per_refund"
            ),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="invoicing_kind_known"),
            models.CheckConstraint(
                condition=NET_PLUS_VAT & Q(vat__gte=0) & Q(gross__gte=0) & Q(sequence__gte=1),
                name="invoicing_amounts",
            ),
            models.CheckConstraint(
                condition=(Q(kind="invoice") & Q(invoice__isnull=True) & Q(refund_ref=""))
                | (Q(kind="credit_note") & Q(invoice__isnull=False) & ~Q(refund_ref="")),
                name="invoicing_credit_note_credits_an_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=8, blank=True)
    unit_price = models.DecimalField(**MONEY, null=True, blank=True, help_text="gross, per unit")
    tax_class = models.CharField(max_length=10, choices=TaxClass.choices, blank=True)
    tax_rate = models.DecimalField(**RATE)
    net = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="invoicing_line_position"),
            models.CheckConstraint(
                condition=NET_PLUS_VAT & Q(vat__gte=0) & Q(tax_rate__gte=0) & Q(tax_rate__lt=100),
                name="invoicing_line_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Dispatch(models.Model):
    """A document sent (or sent again) by e-mail: who asked, to whom, when it left."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="dispatches")
    to_email = models.EmailField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name_plural = "dispatches"

    def __str__(self) -> str:
        return f"{self.document} to {self.to_email}"
