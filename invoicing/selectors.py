"""Reads of invoices and credit notes: the customer's own (others' are not found), and what a
document shows (its lines and VAT per rate, from the stored lines: nothing is recomputed)."""

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from core import vat
from invoicing.errors import DocumentNotFound
from invoicing.models import Document, DocumentLine

if TYPE_CHECKING:
    from accounts.models import User


def documents_of_order(order_id: int, *, customer: "User | None" = None) -> QuerySet[Document]:
    documents = Document.objects.filter(order_id=order_id).select_related("invoice").order_by("issued_at", "id")
    return documents.filter(customer=customer) if customer is not None else documents


def document_of(document_id: int, *, order_id: int | None = None, customer: "User | None" = None) -> Document:
    documents = Document.objects.select_related("invoice").prefetch_related(
        Prefetch("lines", DocumentLine.objects.order_by("position"))
    )
    if order_id is not None:
        documents = documents.filter(order_id=order_id)
    if customer is not None:
        documents = documents.filter(customer=customer)
    document = documents.filter(pk=document_id).first()
    if document is None:
        raise DocumentNotFound()
    return document


def document_breakdown(document: Document) -> vat.Breakdown:
    return vat.breakdown(vat.Taxed(gross=line.gross, rate=line.tax_rate, vat=line.vat) for line in document.lines.all())
