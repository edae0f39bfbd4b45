"""Why the payments services refuse a request. Each has a stable code; the kind (the base class
from core/errors.py) decides the HTTP status in the API layer. Nothing was changed when one is
raised."""

from core.errors import Conflict, InvalidInput, NotFound, Unprocessable


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_message = "There is no such payment."


class UnknownGateway(InvalidInput):
    code = "unknown_gateway"
    default_message = "There is no such payment gateway."


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    default_message = "The amount must be positive with at most two decimals."


class InvalidPaymentMethod(InvalidInput):
    code = "invalid_payment_method"
    default_message = "The gateway does not accept this payment method."


class CaptureExceedsAuthorized(InvalidInput):
    code = "capture_exceeds_authorized"
    default_message = "The capture is more than what is left of the authorization."


class RefundExceedsCaptured(InvalidInput):
    code = "refund_exceeds_captured"
    default_message = "The refund is more than what was captured and not refunded yet."


class PaymentNotCapturable(Conflict):
    code = "payment_not_capturable"
    default_message = "This payment cannot be captured in its current state."


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"
    default_message = "This payment has nothing captured to refund."


class PaymentNotVoidable(Conflict):
    code = "payment_not_voidable"
    default_message = "This payment cannot be voided in its current state."


class PaymentIdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    default_message = "This idempotency key was already used for a different request."


class UnknownWebhookGateway(NotFound):
    code = "unknown_gateway"
    default_message = "There is no such payment gateway."


class WebhooksNotSupported(NotFound):
    code = "webhooks_not_supported"
    default_message = "This gateway sends no webhooks."


class WebhookSignatureInvalid(InvalidInput):
    code = "webhook_signature_invalid"
    default_message = "The webhook signature does not match."


class WebhookTimestampOutsideTolerance(InvalidInput):
    code = "webhook_timestamp_outside_tolerance"
    default_message = "The webhook timestamp is too far from now; it may be a replay."


class WebhookPayloadInvalid(InvalidInput):
    code = "webhook_payload_invalid"
    default_message = "The webhook body is not an event this gateway sends."


class TransactionNotPending(Conflict):
    code = "transaction_not_pending"
    default_message = "The transaction is no longer pending: it has its outcome already."


class NothingToRecapture(Conflict):
    code = "nothing_to_recapture"
    default_message = "This capture did not fail, or the payment has been captured or closed since."
