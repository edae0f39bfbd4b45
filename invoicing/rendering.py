"""A document as HTML (a Django template) and as PDF (fpdf2, pure Python), both drawn from the
stored, immutable document: the same document renders the same figures every time."""

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from core.money import amount_text
from invoicing.models import Document, DocumentKind
from invoicing.selectors import document_breakdown

TITLES = {DocumentKind.INVOICE: "Invoice", DocumentKind.CREDIT_NOTE: "Credit note"}


def context(document: Document) -> dict[str, Any]:
    return {
        "document": document,
        "title": TITLES[DocumentKind(document.kind)],
        "issued_on": timezone.localdate(document.issued_at),
        "lines": list(document.lines.all()),
        "breakdown": document_breakdown(document),
    }


def render_html(document: Document) -> str:
    return render_to_string("invoicing/document.html", context(document))


def _latin1(text: object) -> str:
    """The PDF's core fonts speak Latin-1 (cp1252 for the euro sign); anything else becomes '?'."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _qty(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def render_pdf(document: Document) -> bytes:
    from fpdf import FPDF  # here: fpdf2 takes 0.2 s to import, and most processes draw no PDF

    data = context(document)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(document.issued_at)  # the same document gives the same bytes
    pdf.set_title(f"{data['title']} {document.number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"{data['title']} {document.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    seller, buyer = document.seller, document.buyer
    for text in (
        f"Issued {data['issued_on']:%Y-%m-%d} by {seller['name']}, {seller['address']}, VAT ID {seller['vat_id']}",
        f"Bill to: {buyer['name']}, {buyer['address']} ({buyer['email']})",
        f"Order {document.order_id:07d}"
        + (f"; credits invoice {document.invoice.number}" if document.invoice_id and document.invoice else ""),
    ):
        pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (70, 18, 22, 16, 22, 20, 22)
    heads = ("Item", "Qty", "Unit price", "VAT %", "Net", "VAT", "Gross")
    pdf.set_font("Helvetica", "B", 9)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, head, border="B", align="L" if head == "Item" else "R")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for line in data["lines"]:
        cells = (
            line.description[:45],
            f"{_qty(line.quantity)} {line.unit}".strip(),
            amount_text(line.unit_price) if line.unit_price is not None else "",
            f"{line.tax_rate}",
            amount_text(line.net),
            amount_text(line.vat),
            amount_text(line.gross),
        )
        for index, (width, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 6, _latin1(text), align="L" if index == 0 else "R")
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 6, "VAT per rate", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for rate in data["breakdown"].rates:
        pdf.cell(
            0,
            5,
            f"{rate.rate}%: net {amount_text(rate.net)}, VAT {amount_text(rate.vat)}, gross {amount_text(rate.gross)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(
        0,
        7,
        f"Total {document.currency}: net {amount_text(document.net)}, VAT {amount_text(document.vat)}, "
        f"gross {amount_text(document.gross)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
