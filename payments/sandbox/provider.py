"""The sandbox payment provider behind the test card gateway: the provider's servers, in-process.

Its functions are the provider's API: each runs in its own transaction (as a remote system would
commit on its side, whatever our caller does next), records the operation once per idempotency
key and answers a repeat of the key with the stored response, like Stripe's Idempotency-Key. It
keeps its own charges with their own totals, and refuses a capture or refund above them. After
every change it sends a signed webhook event carrying the charge as of that change (delivered by
a Celery task, re-sent until answered with 2xx). Faults can be injected (TestCardFault) to play a
network timeout after the provider committed, or an outage before it did anything.
"""

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import DomainError
from core.queue import enqueue_on_commit
from payments.gateways import gateway_options
from payments.gateways.signing import SIGNATURE_HEADER, signature_header
from payments.sandbox.models import (
    TestCardCharge,
    TestCardChargeStatus,
    TestCardEvent,
    TestCardFault,
    TestCardFaultMode,
    TestCardOperation,
)
from payments.services import receive_webhook

logger = logging.getLogger(__name__)

AUTHORIZATION_VALIDITY = timedelta(days=7)
# The sandbox's own Celery tasks (payments.sandbox.tasks), queued by name.
DELIVER_WEBHOOK = "payments.test_card_deliver_webhook"
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


def _reference(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


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
    reference = charge.reference if kind == "authorize" else _reference(prefix)
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
    _send_event(charge, event_type)


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
            reference=_reference("ch"),
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
            _send_event(charge, "charge.authorized" if card.behaviour == "succeeds" else "charge.failed")
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


# --- Webhooks ------------------------------------------------------------------------------------


def charge_snapshot(charge: TestCardCharge) -> dict[str, Any]:
    return {
        "id": charge.reference,
        "object": "charge",
        "status": charge.status,
        "currency": charge.currency,
        "amount": f"{charge.amount}",
        "amount_captured": f"{charge.amount_captured}",
        "amount_refunded": f"{charge.amount_refunded}",
        "sequence": charge.sequence,
        "metadata": charge.metadata,
        "expires_at": charge.expires_at.isoformat() if charge.expires_at else None,
        "operations": [
            {
                "id": op.reference,
                "type": op.kind,
                "idempotency_key": op.idempotency_key,
                "amount": f"{op.amount}",
                "final": op.final,
                "status": op.status,
                "failure_code": op.failure_code,
                "failure_message": op.response.get("failure_message", ""),
            }
            for op in charge.operations.order_by("id")
        ],
    }


def _send_event(charge: TestCardCharge, event_type: str) -> TestCardEvent:
    event_id = _reference("evt")
    body = {
        "id": event_id,
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": charge_snapshot(charge)},
    }
    event = TestCardEvent.objects.create(
        event_id=event_id,
        charge=charge,
        type=event_type,
        sequence=charge.sequence,
        body=json.dumps(body, separators=(",", ":")),
    )
    enqueue_on_commit(DELIVER_WEBHOOK, event.pk)
    return event


def signed_delivery(event: TestCardEvent, *, at: int | None = None) -> tuple[dict[str, str], bytes]:
    """The headers and body of one delivery of the event, signed now (or at the given time)."""
    body = event.body.encode()
    secrets = gateway_options(event.charge.account).get("WEBHOOK_SECRETS", [])
    return {
        SIGNATURE_HEADER: signature_header(secrets[:1], body, at or int(time.time())),
        "Content-Type": "application/json",
    }, body


def deliver_event(event_pk: int) -> bool:
    """One delivery attempt of a webhook event; True once the receiver answered 2xx."""
    event = TestCardEvent.objects.select_related("charge").filter(pk=event_pk).first()
    if event is None or event.delivered_at is not None:
        return True
    headers, body = signed_delivery(event)
    url = gateway_options(event.charge.account).get("WEBHOOK_URL", "")
    status, error = _post(url, event.charge.account, headers, body)
    delivered = 200 <= status < 300
    TestCardEvent.objects.filter(pk=event.pk).update(
        delivery_attempts=F("delivery_attempts") + 1,
        last_error="" if delivered else error[:2000],
        delivered_at=timezone.now() if delivered else None,
    )
    if not delivered:
        logger.warning("test card webhook %s not delivered: %s %s", event.event_id, status, error)
    return delivered


def _post(url: str, account: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    if not url:
        # No URL configured: hand the signed bytes to our webhook endpoint's service in-process,
        # through the same verification a request over HTTP gets.
        try:
            receipt = receive_webhook(account, headers, body)
        except DomainError as refused:
            return 404 if refused.code in ("unknown_gateway", "webhooks_not_supported") else 400, refused.message
        return 200, json.dumps(receipt)
    # The URL comes from the settings (an operator's https endpoint), never from a request.
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), ""
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(2000).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError) as unreachable:
        return 0, str(unreachable)
