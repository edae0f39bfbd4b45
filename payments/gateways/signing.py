"""Webhook signatures: `Commerce-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

The timestamp is signed with the body, so an old delivery cannot be replayed with a fresh time,
and one outside the tolerance is refused even when its signature is right. Several `v1=` values
may be present (the provider signs with every active secret while one is being rotated).
"""

import hashlib
import hmac
from collections.abc import Sequence

from payments.errors import WebhookSignatureInvalid, WebhookTimestampOutsideTolerance

SIGNATURE_HEADER = "Commerce-Signature"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], body: bytes, timestamp: int) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={_digest(secret, timestamp, body)}" for secret in secrets)])


def verify_signature(header: str, body: bytes, secrets: Sequence[str], *, tolerance: int, now: int) -> None:
    if not secrets:
        # Misconfiguration on our side; refusing is the only safe answer (the provider retries).
        raise WebhookSignatureInvalid("No webhook secret is configured for this gateway.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookSignatureInvalid(f"The {SIGNATURE_HEADER} header is missing or malformed.")
    expected = [_digest(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(want, got) for want in expected for got in signatures):
        raise WebhookSignatureInvalid()
    if abs(now - timestamp) > tolerance:
        raise WebhookTimestampOutsideTolerance(
            f"The webhook was signed {now - timestamp} s ago; at most {tolerance} s are accepted."
        )
