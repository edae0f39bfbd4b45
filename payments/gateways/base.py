"""The interface between our ledger and a payment provider.

A gateway turns one ledger operation (authorize, capture, void, refund) into one call to its
provider and the provider's answer into an OperationResult. Every call carries the transaction's
provider idempotency key, and the same key must never move money twice at the provider, so a
call can be repeated whenever its outcome is unknown. A gateway raises GatewayUnavailable when
the outcome is unknown or the provider is down (the task retries with the same key), and returns
a failed result when the provider said no (no retry). Webhooks are verified and parsed here too,
into snapshots of the provider's operations that the ledger merges (payments.services.recording).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone

from payments.gateways.signing import SIGNATURE_HEADER, verify_signature
from payments.models import TransactionKind, TransactionStatus


class GatewayUnavailable(Exception):
    """The provider could not be reached or did not answer: whether money moved is unknown.
    Retrying with the same idempotency key is always safe."""


@dataclass(frozen=True)
class OperationRequest:
    kind: str  # a TransactionKind
    idempotency_key: str
    amount: Decimal
    currency: str
    payment_method: str = ""  # authorize only: the gateway's token
    charge_reference: str = ""  # capture, void, refund: the provider's reference of the authorization
    final: bool = False  # capture: release what is left of the authorization
    reason: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationResult:
    status: str  # a TransactionStatus; pending = the provider will tell later (by webhook)
    reference: str = ""
    failure_code: str = ""
    failure_message: str = ""
    expires_at: datetime | None = None  # authorize: when the provider lets the hold lapse
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationSnapshot:
    """One operation on a charge as the provider reports it in a webhook."""

    kind: str
    idempotency_key: str
    amount: Decimal
    result: OperationResult
    final: bool = False


@dataclass(frozen=True)
class WebhookNotification:
    event_id: str
    event_type: str
    charge_reference: str
    operations: tuple[OperationSnapshot, ...] = ()


class Gateway(ABC):
    """One provider. Subclasses implement the four operations; webhook support is optional.

    `options` is the gateway's entry in settings.PAYMENTS_GATEWAYS (its CLASS, WEBHOOK_SECRETS and
    whatever else the provider needs, e.g. API keys).
    """

    display_name: ClassVar[str] = ""
    supports_webhooks: ClassVar[bool] = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.options = options

    def describe_payment_method(self, token: str) -> str:
        """A label for the payment method ("Visa •••• 4242"), or InvalidPaymentMethod. Runs before
        anything is stored, so a token the gateway cannot use is refused at once."""
        return token[:64]

    @abstractmethod
    def authorize(self, request: OperationRequest) -> OperationResult: ...

    @abstractmethod
    def capture(self, request: OperationRequest) -> OperationResult: ...

    @abstractmethod
    def void(self, request: OperationRequest) -> OperationResult: ...

    @abstractmethod
    def refund(self, request: OperationRequest) -> OperationResult: ...

    def execute(self, request: OperationRequest) -> OperationResult:
        operation = {
            TransactionKind.AUTHORIZE: self.authorize,
            TransactionKind.CAPTURE: self.capture,
            TransactionKind.VOID: self.void,
            TransactionKind.REFUND: self.refund,
        }[TransactionKind(request.kind)]
        result = operation(request)
        if result.status not in TransactionStatus.values:
            raise ValueError(f"{self.name} answered {request.kind} with the unknown status {result.status!r}")
        return result

    # --- Webhooks --------------------------------------------------------------------------------

    @property
    def webhook_secrets(self) -> list[str]:
        """Every secret that may have signed a webhook: the current one first, then old ones
        while a rotation is under way."""
        return [secret for secret in self.options.get("WEBHOOK_SECRETS", []) if secret]

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Refuse a webhook that is not signed by the provider or not fresh. The default is our
        `Commerce-Signature` scheme; a provider with its own scheme overrides this."""
        verify_signature(
            headers.get(SIGNATURE_HEADER, ""),
            body,
            self.webhook_secrets,
            tolerance=settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS,
            now=int(timezone.now().timestamp()),
        )

    def parse_webhook(self, body: bytes) -> WebhookNotification:
        """The event in a verified body; WebhookPayloadInvalid when it is not one."""
        raise NotImplementedError(f"{self.name} sends no webhooks")
