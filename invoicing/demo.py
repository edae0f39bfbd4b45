"""Demo data of invoicing: the demo customer's order picked in full, packed and invoiced, so the
customer's app (`GET /api/v1/orders/{id}/invoices/`) and finance's admin have a document to show.
Safe to load again: an order that has its invoice is left as it is."""

from accounts.demo import DEMO_CUSTOMER_EMAIL
from accounts.selectors import user_by_email
from core.errors import DomainError
from invoicing import services
from invoicing.models import Document, DocumentKind
from orders import selectors as orders
from orders.services import picking


def load() -> list[str]:
    customer = user_by_email(DEMO_CUSTOMER_EMAIL)
    if customer is None:
        return ["No demo invoice: no demo customer (load the accounts demo data first)."]
    invoice = Document.objects.filter(customer=customer, kind=DocumentKind.INVOICE).first()
    if invoice is None:
        order = orders.orders_of(customer).filter(status__in=["confirmed", "packed"]).first()
        if order is None:
            return ["No demo invoice: the demo order is not confirmed yet (the payment worker authorizes it)."]
        try:
            if order.status == "confirmed":
                picks = [picking.Pick(line.pk, str(line.quantity)) for line in order.lines.all()]
                picking.record_picks(order.pk, picks)
                picking.pack_order(order.pk)
            invoice = services.issue_invoice(order.pk)
        except DomainError as refused:
            return [f"No demo invoice: {refused.message}"]
    return [
        f"Invoice {invoice.number} for order {invoice.order_id:07d}: {invoice.net} net + {invoice.vat} VAT = "
        f"{invoice.gross} {invoice.currency} (GET /api/v1/orders/{invoice.order_id}/invoices/ as the demo customer)"
    ]
