"""Models of the payments app: our ledger and the webhooks we received. (The sandbox provider's
tables belong to this app too; their models live in payments.sandbox.models, see apps.py.)"""

from payments.models.ledger import (
    EXPIRY_REASON,
    Payment,
    PaymentState,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from payments.models.webhooks import WebhookEvent

__all__ = [
    "EXPIRY_REASON",
    "Payment",
    "PaymentState",
    "PaymentTransaction",
    "TransactionKind",
    "TransactionStatus",
    "WebhookEvent",
]
