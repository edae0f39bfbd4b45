"""The test card gateway: our client of the sandbox provider (payments.sandbox.provider).

It is written the way a real provider's client is: each operation is one call to the provider's
API carrying the idempotency key, a lost answer or an outage becomes GatewayUnavailable (retry
with the same key), and a refusal becomes a failed result. Test card numbers are in
provider.TEST_CARDS and in README.md. Settings name this class in PAYMENTS_GATEWAYS: that is the
only way the payments core reaches the sandbox.
"""

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from payments.errors import InvalidPaymentMethod, WebhookPayloadInvalid
from payments.gateways.base import (
    Gateway,
    GatewayUnavailable,
    OperationRequest,
    OperationResult,
    OperationSnapshot,
    WebhookNotification,
)
from payments.models import TransactionKind, TransactionStatus
from payments.sandbox import provider

STATUSES = {
    "succeeded": TransactionStatus.SUCCEEDED,
    "pending": TransactionStatus.PENDING,
    "failed": TransactionStatus.FAILED,
}


class TestCardGateway(Gateway):
    __test__ = False

    display_name = "Test cards (sandbox)"
    supports_webhooks = True

    def describe_payment_method(self, token: str) -> str:
        card = provider.TEST_CARDS.get(token)
        if card is None:
            raise InvalidPaymentMethod(
                "The test card gateway takes only its test card numbers (README.md, Payments).",
                fields={"payment_method": ["Not a test card number."]},
            )
        return f"{card.brand} •••• {card.number[-4:]}"

    def authorize(self, request: OperationRequest) -> OperationResult:
        return self._call(
            provider.authorize,
            account=self.name,
            idempotency_key=request.idempotency_key,
            amount=request.amount,
            currency=request.currency,
            card_number=request.payment_method,
            metadata=dict(request.metadata),
        )

    def capture(self, request: OperationRequest) -> OperationResult:
        return self._call(
            provider.capture,
            idempotency_key=request.idempotency_key,
            charge_reference=request.charge_reference,
            amount=request.amount,
            final=request.final,
        )

    def void(self, request: OperationRequest) -> OperationResult:
        return self._call(
            provider.void, idempotency_key=request.idempotency_key, charge_reference=request.charge_reference
        )

    def refund(self, request: OperationRequest) -> OperationResult:
        return self._call(
            provider.refund,
            idempotency_key=request.idempotency_key,
            charge_reference=request.charge_reference,
            amount=request.amount,
        )

    def _call(self, api: Callable[..., dict[str, Any]], **params: Any) -> OperationResult:
        try:
            response = api(**params)
        except (provider.ProviderUnavailable, provider.ProviderTimeout) as unknown:
            raise GatewayUnavailable(str(unknown)) from unknown
        except provider.ProviderRequestError as refused:
            return OperationResult(
                status=TransactionStatus.FAILED,
                failure_code=refused.code,
                failure_message=str(refused)[:255],
                response={"error": refused.code},
            )
        return self._result(response)

    @staticmethod
    def _result(response: dict[str, Any]) -> OperationResult:
        expires_at = response.get("expires_at")
        return OperationResult(
            status=STATUSES[response["status"]],
            reference=response.get("id", ""),
            failure_code=response.get("failure_code", ""),
            failure_message=response.get("failure_message", "")[:255],
            expires_at=parse_datetime(expires_at) if expires_at else None,
            response=response,
        )

    def parse_webhook(self, body: bytes) -> WebhookNotification:
        try:
            event = json.loads(body)
            charge = event["data"]["object"]
            operations = tuple(
                OperationSnapshot(
                    kind=TransactionKind(op["type"]),
                    idempotency_key=str(op["idempotency_key"]),
                    amount=Decimal(op["amount"]),
                    final=bool(op["final"]),
                    result=OperationResult(
                        status=STATUSES[op["status"]],
                        reference=str(op["id"]),
                        failure_code=op["failure_code"],
                        failure_message=op.get("failure_message", "")[:255],
                        expires_at=parse_datetime(charge["expires_at"]) if charge.get("expires_at") else None,
                        response=op,
                    ),
                )
                for op in charge["operations"]
            )
            return WebhookNotification(
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                charge_reference=str(charge["id"]),
                operations=operations,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as unreadable:
            raise WebhookPayloadInvalid(f"The body is not a test card event ({unreadable!r}).") from unreadable
