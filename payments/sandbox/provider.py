"""The sandbox payment provider behind the test card gateway: the provider's servers, in-process.

Its functions are the provider's API: each runs in its own transaction (as a remote system would
commit on its side, whatever our caller does next), records the operation once per idempotency
key and answers a repeat of the key with the stored response, like Stripe's Idempotency-Key. It
keeps its own charges with their own totals, and refuses a capture or refund above them. After
every change it sends a signed webhook event carrying the charge as of that change (delivered by
a Celery task, re-sent until answered with 2xx: payments/sandbox/webhooks.py). Faults can be
injected (TestCardFault) to play a network timeout after the provider committed, or an outage
before it did anything.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.queue import enqueue_on_commit
from payments.gateways import gateway_options
from payments.sandbox.models import (
    TestCardCharge,
    TestCardChargeStatus,
    TestCardFault,
    TestCardFaultMode,
    TestCardOperation,
)
from payments.sandbox.webhooks import new_reference, send_event

logger = logging.getLogger(__name__)

AUTHORIZATION_VALIDITY = timedelta(days=7)
# The sandbox's own Celery task (payments.sandbox.tasks), queued by name; the webhooks' is in webhooks.py.
COMPLETE_AUTHENTICATION = "payments.test_card_complete_authentication"


@dataclass(frozen=True)
class TestCard:
    __test__ = False

    number: str
    brand: str
    behaviour: str  # "succeeds", "pending" (3-D Secure, then authorized by webhook) or "declines"
    description: str
    failure_code: str = ""
    failure_message: str = ""


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4242424242424242", "Visa", "succeeds", "authorizes at once"),
        TestCard("5555555555554444", "Mastercard", "succeeds", "authorizes at once"),
        TestCard(
            "4000000000003220",
            "Visa",
            "pending",
            "asks for 3-D Secure; authorized a few seconds later, announced by webhook",
        ),
        TestCard(
            "4000000000000002", "Visa", "declines", "declined: card_declined", "card_declined", "The card was declined."
        ),
        TestCard(
            "4000000000009995",
            "Visa",
            "declines",
            "declined: insufficient_funds",
            "insufficient_funds",
            "The card has insufficient funds.",
        ),
        TestCard(
            "4000000000000069", "Visa", "declines", "declined: expired_card", "expired_card", "The card has expired."
        ),
    )
}


class ProviderUnavailable(Exception):
    """HTTP 503 from the provider: nothing was done."""


class ProviderTimeout(Exception):
    """No answer: the provider may well have done the work (it did, when this is a fault)."""


class ProviderRequestError(Exception):
    """HTTP 400 from the provider: the request itself is wrong (e.g. a key reused for another request)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _fingerprint(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def _take_fault(operation: str) -> str | None:
    """The mode of the next injected fault for this operation, used up by this call."""
    with transaction.atomic():
        fault = (
            TestCardFault.objects.select_for_update(skip_locked=True)
            .filter(operation=operation, remaining__gt=0)
            .order_by("id")
            .first()
        )
        if fault is None:
            return None
        TestCardFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        return fault.mode


def _idempotent(
    kind: str, idempotency_key: str, params: dict[str, Any], work: Callable[[str], TestCardOperation]
) -> dict[str, Any]:
    """Run `work` once per idempotency key; a repeat gets the stored response."""
    fault = _take_fault(kind)
    if fault == TestCardFaultMode.UNAVAILABLE:
        raise ProviderUnavailable(f"the test card provider is unavailable ({kind})")
    fingerprint = _fingerprint({"kind": kind, **params})
    try:
        with transaction.atomic():
            stored = TestCardOperation.objects.filter(idempotency_key=idempotency_key).first()
            operation = stored or work(fingerprint)
    except IntegrityError:
        # The same key raced in from another connection and won; answer as it did.
        raced = TestCardOperation.objects.filter(idempotency_key=idempotency_key).first()
        if raced is None:
            raise
        operation = raced
    if operation.request_fingerprint != fingerprint:
        raise ProviderRequestError(
            "idempotency_key_in_use", "Keys for idempotent requests can only be used with the same parameters."
        )
    if fault == TestCardFaultMode.TIMEOUT_AFTER_COMMIT:
        raise ProviderTimeout(f"the test card provider did not answer in time ({kind})")
    return dict(operation.response)


def _operation(
    charge: TestCardCharge,
    *,
    kind: str,
    idempotency_key: str,
    fingerprint: str,
    amount: Decimal,
    status: str,
    failure_code: str = "",
    failure_message: str = "",
    final: bool = False,
    prefix: str,
) -> TestCardOperation:
    reference = charge.reference if kind == "authorize" else new_reference(prefix)
    response = {
        "id": reference,
        "object": kind,
        "charge": charge.reference,
        "amount": f"{amount}",
        "currency": charge.currency,
        "status": status,
        "final": final,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "expires_at": charge.expires_at.isoformat() if charge.expires_at else None,
    }
    return TestCardOperation.objects.create(
        idempotency_key=idempotency_key,
        kind=kind,
        charge=charge,
        reference=reference,
        amount=amount,
        final=final,
        status=status,
        failure_code=failure_code,
        request_fingerprint=fingerprint,
        response=response,
    )


def _changed(charge: TestCardCharge, event_type: str) -> None:
    charge.sequence += 1
    charge.save()
    send_event(charge, event_type)


# --- The provider's API --------------------------------------------------------------------------


def authorize(
    *, account: str, idempotency_key: str, amount: Decimal, currency: str, card_number: str, metadata: dict[str, str]
) -> dict[str, Any]:
    params = {"amount": f"{amount}", "currency": currency, "card": card_number}

    def work(fingerprint: str) -> TestCardOperation:
        card = TEST_CARDS.get(card_number)
        if card is None:
            raise ProviderRequestError("card_not_supported", "Only the published test cards work here.")
        status = {
            "succeeds": TestCardChargeStatus.AUTHORIZED,
            "pending": TestCardChargeStatus.PENDING,
            "declines": TestCardChargeStatus.FAILED,
        }[card.behaviour]
        charge = TestCardCharge.objects.create(
            reference=new_reference("ch"),
            account=account,
            card_last4=card_number[-4:],
            currency=currency,
            amount=amount,
            status=status,
            failure_code=card.failure_code,
            failure_message=card.failure_message,
            metadata=metadata,
            expires_at=timezone.now() + AUTHORIZATION_VALIDITY if status == TestCardChargeStatus.AUTHORIZED else None,
        )
        operation = _operation(
            charge,
            kind="authorize",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount=amount,
            status={"succeeds": "succeeded", "pending": "pending", "declines": "failed"}[card.behaviour],
            failure_code=card.failure_code,
            failure_message=card.failure_message,
            prefix="ch",
        )
        if card.behaviour == "pending":
            _schedule_customer_authentication(charge)
        else:
            send_event(charge, "charge.authorized" if card.behaviour == "succeeds" else "charge.failed")
        return operation

    return _idempotent("authorize", idempotency_key, params, work)


def capture(*, idempotency_key: str, charge_reference: str, amount: Decimal, final: bool) -> dict[str, Any]:
    params = {"charge": charge_reference, "amount": f"{amount}", "final": final}

    def work(fingerprint: str) -> TestCardOperation:
        charge = _locked_charge(charge_reference)
        failure = ""
        if charge.status != TestCardChargeStatus.AUTHORIZED:
            failure = "charge_not_capturable"
        elif amount > charge.amount - charge.amount_captured:
            failure = "amount_too_large"
        if failure:
            return _operation(
                charge,
                kind="capture",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                amount=amount,
                final=final,
                status="failed",
                failure_code=failure,
                failure_message=f"The charge cannot be captured for {amount} ({failure}).",
                prefix="cp",
            )
        charge.amount_captured += amount
        if final or charge.amount_captured == charge.amount:
            charge.status = TestCardChargeStatus.CAPTURED  # the rest of the hold is released
        operation = _operation(
            charge,
            kind="capture",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount=amount,
            final=final,
            status="succeeded",
            prefix="cp",
        )
        _changed(charge, "charge.captured")
        return operation

    return _idempotent("capture", idempotency_key, params, work)


def void(*, idempotency_key: str, charge_reference: str) -> dict[str, Any]:
    params = {"charge": charge_reference}

    def work(fingerprint: str) -> TestCardOperation:
        charge = _locked_charge(charge_reference)
        released = charge.amount - charge.amount_captured
        if charge.status != TestCardChargeStatus.AUTHORIZED:
            return _operation(
                charge,
                kind="void",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                amount=released or charge.amount,
                status="failed",
                failure_code="charge_not_voidable",
                failure_message="Only an authorized charge can be voided.",
                prefix="vd",
            )
        charge.status = TestCardChargeStatus.CAPTURED if charge.amount_captured else TestCardChargeStatus.VOIDED
        operation = _operation(
            charge,
            kind="void",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount=released,
            status="succeeded",
            prefix="vd",
        )
        _changed(charge, "charge.voided")
        return operation

    return _idempotent("void", idempotency_key, params, work)


def refund(*, idempotency_key: str, charge_reference: str, amount: Decimal) -> dict[str, Any]:
    params = {"charge": charge_reference, "amount": f"{amount}"}

    def work(fingerprint: str) -> TestCardOperation:
        charge = _locked_charge(charge_reference)
        if amount > charge.amount_captured - charge.amount_refunded:
            return _operation(
                charge,
                kind="refund",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                amount=amount,
                status="failed",
                failure_code="amount_too_large",
                failure_message=f"{amount} is more than the captured amount left to refund.",
                prefix="re",
            )
        charge.amount_refunded += amount
        operation = _operation(
            charge,
            kind="refund",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount=amount,
            status="succeeded",
            prefix="re",
        )
        _changed(charge, "charge.refunded")
        return operation

    return _idempotent("refund", idempotency_key, params, work)


def _locked_charge(reference: str) -> TestCardCharge:
    charge = TestCardCharge.objects.select_for_update().filter(reference=reference).first()
    if charge is None:
        raise ProviderRequestError("resource_missing", f"No such charge: {reference}")
    return charge


# --- The customer's side: 3-D Secure ---------------------------------------------------------------


def _schedule_customer_authentication(charge: TestCardCharge) -> None:
    delay = gateway_options(charge.account).get("AUTHENTICATION_SECONDS", 5)
    enqueue_on_commit(COMPLETE_AUTHENTICATION, charge.reference, countdown=delay)


def complete_authentication(charge_reference: str) -> bool:
    """The customer passed 3-D Secure: the pending charge is authorized and a webhook announces it."""
    with transaction.atomic():
        charge = TestCardCharge.objects.select_for_update().filter(reference=charge_reference).first()
        if charge is None or charge.status != TestCardChargeStatus.PENDING:
            return False
        charge.status = TestCardChargeStatus.AUTHORIZED
        charge.expires_at = timezone.now() + AUTHORIZATION_VALIDITY
        charge.operations.filter(kind="authorize").update(status="succeeded")
        _changed(charge, "charge.authorized")
        return True
