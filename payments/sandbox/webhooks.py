"""The sandbox provider's webhooks: after every change of a charge, a signed event carrying the
charge as of that change, delivered by a Celery task (payments.sandbox.tasks) and re-sent until the
receiver answers 2xx. With no WEBHOOK_URL configured the signed bytes go to our own webhook service
in-process, through the same verification a request over HTTP gets.
"""

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.db.models import F
from django.utils import timezone

from core.errors import DomainError
from core.queue import enqueue_on_commit
from payments.gateways import gateway_options
from payments.gateways.signing import SIGNATURE_HEADER, signature_header
from payments.sandbox.models import TestCardCharge, TestCardEvent
from payments.services import receive_webhook

logger = logging.getLogger(__name__)

# The sandbox's own Celery task (payments.sandbox.tasks), queued by name.
DELIVER_WEBHOOK = "payments.test_card_deliver_webhook"


def new_reference(prefix: str) -> str:
    """A provider-side id (charge, operation, event), Stripe-like: `ch_...`, `evt_...`."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


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


def send_event(charge: TestCardCharge, event_type: str) -> TestCardEvent:
    event_id = new_reference("evt")
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
