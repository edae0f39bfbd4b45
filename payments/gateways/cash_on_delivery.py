"""Cash on delivery: no provider and no money moving until the courier collects.

Authorizing records the promise to pay (it never lapses); capturing records what the courier
collected, often less than the order (missing or weighed items); a refund records cash handed
back. Each answer is immediate, and repeating one changes nothing because the ledger completes a
transaction once.
"""

from payments.errors import InvalidPaymentMethod
from payments.gateways.base import Gateway, OperationRequest, OperationResult
from payments.models import TransactionStatus

ACCEPTED_TOKENS = ("", "cash")


class CashOnDeliveryGateway(Gateway):
    display_name = "Cash on delivery"

    def describe_payment_method(self, token: str) -> str:
        if token not in ACCEPTED_TOKENS:
            raise InvalidPaymentMethod(
                'Cash on delivery takes no payment method token (send "cash" or nothing).',
                fields={"payment_method": ['Must be "cash" or empty.']},
            )
        return "Cash on delivery"

    def _done(self, request: OperationRequest, what: str) -> OperationResult:
        reference = f"cod_{request.kind}_{request.idempotency_key}"
        return OperationResult(
            status=TransactionStatus.SUCCEEDED,
            reference=reference[:128],
            response={"gateway": self.name, "recorded": what, "amount": f"{request.amount}"},
        )

    def authorize(self, request: OperationRequest) -> OperationResult:
        return self._done(request, "the customer will pay the courier")

    def capture(self, request: OperationRequest) -> OperationResult:
        return self._done(request, "the courier collected the cash")

    def void(self, request: OperationRequest) -> OperationResult:
        return self._done(request, "nothing will be collected")

    def refund(self, request: OperationRequest) -> OperationResult:
        return self._done(request, "cash was handed back")
