"""The refusals of the invoicing domain, each a kind of `core.errors.DomainError` with a stable code."""

from core.errors import Conflict, DomainError, NotFound


class InvoicingError(DomainError):
    code = "invoicing_error"


class DocumentNotFound(InvoicingError, NotFound):
    """Not one of the caller's invoices (someone else's answers the same: never say which)."""

    code = "invoice_not_found"
    default_message = "No invoice of yours has this id."


class NotInvoiceable(InvoicingError, Conflict):
    """The order is not packed yet: there is no captured amount to invoice."""

    code = "order_not_invoiceable"
    default_message = "The order has not been packed yet; it is invoiced for what was picked."


class CreditExceedsInvoice(InvoicingError, Conflict):
    code = "credit_exceeds_invoice"
    default_message = "The refund is more than what is left on the invoice."
