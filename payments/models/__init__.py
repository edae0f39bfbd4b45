"""Models of the payments app: our ledger, the webhooks we received, and the provider-side state
of the built-in test card gateway (a sandbox payment provider that lives in this schema)."""

from payments.models.ledger import (
    EXPIRY_REASON,
    Payment,
    PaymentState,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from payments.models.test_card import (
    TestCardCharge,
    TestCardChargeStatus,
    TestCardEvent,
    TestCardFault,
    TestCardFaultMode,
    TestCardOperation,
)
from payments.models.webhooks import WebhookEvent

__all__ = [
    "EXPIRY_REASON",
    "Payment",
    "PaymentState",
    "PaymentTransaction",
    "TestCardCharge",
    "TestCardChargeStatus",
    "TestCardEvent",
    "TestCardFault",
    "TestCardFaultMode",
    "TestCardOperation",
    "TransactionKind",
    "TransactionStatus",
    "WebhookEvent",
]
