"""Issuing invoices and credit notes (docs/decisions/0053).

- An order is invoiced once, when it is packed (order.picked): for what was picked and captured,
  line by line with each line's VAT as orders snapshot it, plus the delivery fee.
- Each refund (payment.refunded) gets a credit note for its amount, shared over the invoice's VAT
  rates in proportion to what is left of each (largest remainder in cents); a rate credited in
  full gives back exactly its remaining VAT, so a full refund nets the invoice to zero.
- Numbers come from the row of their series (legal entity, kind, year), locked in the very
  transaction that inserts the document: numbers are handed out in commit order with no gaps
  and no duplicates, and a rolled back issue gives its number back with it.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from smtplib import SMTPException
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core import vat
from core.money import ZERO
from core.queue import enqueue_on_commit
from invoicing.errors import CreditExceedsInvoice, DocumentNotFound, NotInvoiceable
from invoicing.models import Dispatch, Document, DocumentKind, DocumentLine, NumberSeries
from invoicing.selectors import document_of as document_with_lines
from orders.selectors import order_for_invoice
from orders.services.tax import taxable_delivery_fee, taxable_gross

if TYPE_CHECKING:
    from accounts.models import User
    from orders.models import Order

logger = logging.getLogger(__name__)

PREFIX = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}
SEND_TASK = "invoicing.send_document"


def seller() -> dict[str, str]:
    conf = settings.INVOICING_SELLER
    return {"entity": conf["ENTITY"], "name": conf["NAME"], "address": conf["ADDRESS"], "vat_id": conf["VAT_ID"]}


def buyer_of(order: "Order") -> dict[str, str]:
    address = order.shipping_address
    lines = [
        address.get("line1", ""),
        address.get("line2", ""),
        f"{address.get('postal_code', '')} {address.get('city', '')}",
    ]
    return {
        "name": address.get("recipient_name", "") or order.customer.get_full_name(),
        "email": order.customer.email,
        "address": ", ".join(part.strip() for part in [*lines, address.get("country", "")] if part.strip()),
    }


def format_number(entity: str, kind: str, year: int, sequence: int) -> str:
    return f"{entity}-{PREFIX[DocumentKind(kind)]}-{year}-{sequence:06d}"


def _take_number(entity: str, kind: str, year: int) -> int:
    """The next number of the series; its row stays locked until the caller's transaction ends."""
    series, _ = NumberSeries.objects.select_for_update().get_or_create(entity=entity, kind=kind, year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series.last_number


@dataclass(frozen=True)
class LineDraft:
    description: str
    tax_rate: Decimal
    vat: Decimal
    gross: Decimal
    sku: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    unit_price: Decimal | None = None
    tax_class: str = ""


def _insert(
    order: "Order", kind: str, drafts: list[LineDraft], *, invoice: Document | None = None, **extra: Any
) -> Document:
    entity = settings.INVOICING_SELLER["ENTITY"]
    issued_at = timezone.now()
    year = timezone.localdate(issued_at).year
    gross = sum((d.gross for d in drafts), ZERO)
    vat_total = sum((d.vat for d in drafts), ZERO)
    sequence = _take_number(entity, kind, year)  # as late as possible: the lock is held until commit
    document = Document.objects.create(
        kind=kind,
        entity=entity,
        year=year,
        sequence=sequence,
        number=format_number(entity, kind, year, sequence),
        order=order,
        customer=order.customer,
        invoice=invoice,
        issued_at=issued_at,
        currency=order.currency,
        seller=seller(),
        buyer=buyer_of(order),
        net=gross - vat_total,
        vat=vat_total,
        gross=gross,
        **extra,
    )
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            sku=d.sku,
            description=d.description[:300],
            quantity=d.quantity,
            unit=d.unit,
            unit_price=d.unit_price,
            tax_class=d.tax_class,
            tax_rate=d.tax_rate,
            net=d.gross - d.vat,
            vat=d.vat,
            gross=d.gross,
        )
        for position, d in enumerate(drafts, start=1)
    )
    _queue_dispatch(document, document.buyer["email"], actor=None)
    return document


def _invoice_lines(order: "Order") -> list[LineDraft]:
    drafts = [
        LineDraft(
            description=line.picked_name or line.name,
            sku=line.picked_sku or line.sku,
            quantity=line.picked_quantity,
            unit=line.unit,
            unit_price=line.picked_unit_price,
            tax_class=line.tax_class,
            tax_rate=line.tax_rate,
            vat=line.vat_amount,
            gross=taxable_gross(line),
        )
        for line in order.lines.all()
        if line.picked_quantity
    ]
    fee = taxable_delivery_fee(order.delivery_fee, order.delivery_discount)
    if fee:
        drafts.append(
            LineDraft(
                description="Delivery", tax_rate=order.delivery_tax_rate, vat=order.delivery_vat_amount, gross=fee
            )
        )
    return drafts


def issue_invoice(order_id: int | str) -> Document:
    """The order's invoice, issued now if it has none yet (order.picked; safe to repeat)."""
    with transaction.atomic():
        existing = Document.objects.filter(order_id=order_id, kind=DocumentKind.INVOICE).first()
        if existing is not None:
            return existing
        order = order_for_invoice(order_id)
        if order is None or order.final_total is None:
            raise NotInvoiceable()
        drafts = _invoice_lines(order)
        if sum((d.gross for d in drafts), ZERO) != order.final_total:
            # The snapshots and the captured amount disagree: never issue a wrong document.
            raise NotInvoiceable(f"Order {order.number}: its lines do not add up to {order.final_total}.")
        try:
            with transaction.atomic():
                document = _insert(order, DocumentKind.INVOICE, drafts)
        except IntegrityError:  # issued meanwhile by another consumer
            return Document.objects.get(order_id=order.pk, kind=DocumentKind.INVOICE)
    logger.info(
        "invoicing: %s issued for order %s: %s %s", document.number, order.number, document.gross, order.currency
    )
    return document


def _remaining_per_rate(invoice: Document) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """(gross, VAT) per rate still on the invoice after its credit notes."""
    remaining: dict[Decimal, list[Decimal]] = {}
    for row in DocumentLine.objects.filter(document=invoice).values("tax_rate").annotate(g=Sum("gross"), v=Sum("vat")):
        remaining[row["tax_rate"]] = [row["g"], row["v"]]
    credited = (
        DocumentLine.objects.filter(document__invoice=invoice, document__kind=DocumentKind.CREDIT_NOTE)
        .values("tax_rate")
        .annotate(g=Sum("gross"), v=Sum("vat"))
    )
    for row in credited:
        sums = remaining.setdefault(row["tax_rate"], [ZERO, ZERO])
        sums[0] -= row["g"]
        sums[1] -= row["v"]
    return {rate: (g, v) for rate, (g, v) in remaining.items() if g > 0}


def credit_lines(amount: Decimal, remaining: dict[Decimal, tuple[Decimal, Decimal]], reason: str) -> list[LineDraft]:
    """`amount` shared over the rates in proportion to what is left of each (highest rate first)."""
    rates = sorted(remaining, reverse=True)
    left = sum((remaining[rate][0] for rate in rates), ZERO)
    if amount <= 0 or amount > left:
        raise CreditExceedsInvoice(
            f"{amount} is more than the {left} left on the invoice.", fields={"amount": [f"At most {left}."]}
        )
    parts = vat.allocate(amount, [remaining[rate][0] for rate in rates])
    drafts = []
    for rate, part in zip(rates, parts, strict=True):
        if not part:
            continue
        gross_left, vat_left = remaining[rate]
        vat_part = vat_left if part == gross_left else min(vat.vat_in(part, rate), vat_left)
        label = f"Refund: {reason}" if reason else "Refund"
        drafts.append(
            LineDraft(description=f"{label} ({rate.normalize():f}% VAT)", tax_rate=rate, vat=vat_part, gross=part)
        )
    return drafts


def issue_credit_note(order_id: int | str, *, refund_ref: str, amount: Decimal, reason: str = "") -> Document:
    """A credit note for one refund of the order's payment (payment.refunded; safe to repeat)."""
    with transaction.atomic():
        existing = Document.objects.filter(refund_ref=refund_ref, kind=DocumentKind.CREDIT_NOTE).first()
        if existing is not None:
            return existing
        invoice = issue_invoice(order_id)  # a refund before the invoice was consumed: issue it first
        invoice = Document.objects.select_for_update().get(pk=invoice.pk)  # one credit at a time per invoice
        order = order_for_invoice(order_id)
        assert order is not None  # invoiced above
        drafts = credit_lines(amount, _remaining_per_rate(invoice), reason)
        document = _insert(
            order, DocumentKind.CREDIT_NOTE, drafts, invoice=invoice, refund_ref=refund_ref, reason=reason[:255]
        )
    logger.info("invoicing: %s credits %s for %s %s", document.number, invoice.number, amount, document.currency)
    return document


# --- Sending --------------------------------------------------------------------------------------


def _queue_dispatch(document: Document, to_email: str, *, actor: "User | None") -> Dispatch:
    dispatch = Dispatch.objects.create(document=document, to_email=to_email, requested_by=actor)
    enqueue_on_commit(SEND_TASK, dispatch.pk)
    return dispatch


def resend_document(document_id: int, *, actor: "User | None" = None, to_email: str = "") -> Dispatch:
    """Send the document again by e-mail (to the buyer unless `to_email` says otherwise)."""
    with transaction.atomic():
        document = Document.objects.filter(pk=document_id).first()
        if document is None:
            raise DocumentNotFound()
        return _queue_dispatch(document, to_email or document.buyer["email"], actor=actor)


def send_dispatch(dispatch_id: int) -> bool:
    """E-mail the document (PDF attached) through Django's mail backend, once; False when it was
    already sent, no longer exists, or the mail server refused it (then it stays unsent and is
    logged: finance sends it again from the admin). The claim and the send share a transaction,
    so a redelivered task never sends twice what was recorded as sent."""
    from invoicing.rendering import render_html, render_pdf  # fpdf2 only where documents are drawn

    with transaction.atomic():
        claimed = Dispatch.objects.filter(pk=dispatch_id, sent_at__isnull=True).update(sent_at=timezone.now())
        if not claimed:
            return False
        dispatch = Dispatch.objects.get(pk=dispatch_id)
        document = document_with_lines(dispatch.document_id)
        title = "Credit note" if document.kind == DocumentKind.CREDIT_NOTE else "Invoice"
        message = EmailMultiAlternatives(
            subject=f"{title} {document.number}",
            body=f"Your {title.lower()} {document.number} for order {document.order_id:07d} is attached.",
            from_email=settings.INVOICING_SELLER["EMAIL"],
            to=[dispatch.to_email],
        )
        message.attach_alternative(render_html(document), "text/html")
        message.attach(f"{document.number}.pdf", render_pdf(document), "application/pdf")
        try:
            message.send()
        except (OSError, SMTPException) as failure:  # the mail server is down: finance sends it again
            logger.warning(
                "invoicing: %s not sent to %s (dispatch %s): %s",
                document.number,
                dispatch.to_email,
                dispatch.pk,
                failure,
            )
            transaction.set_rollback(True)
            return False
    logger.info("invoicing: %s sent to %s (dispatch %s)", document.number, dispatch.to_email, dispatch.pk)
    return True
