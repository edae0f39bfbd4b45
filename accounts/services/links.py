"""Signed, expiring links sent by e-mail: what they carry and where they point.

Verification and e-mail change links are signed with Django's TimestampSigner (SECRET_KEY, one
salt per purpose) and carry a fingerprint of the state they act on, so each works once: a
verification link names the address it verifies, an e-mail change link the account's `version`
(any change to the profile, the change itself included, spends it). Password reset links are
Django's own tokens (accounts.services.passwords). docs/decisions/0057.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

from accounts.errors import InvalidLink


def sign(purpose: str, payload: dict[str, Any]) -> str:
    return signing.TimestampSigner(salt=f"accounts.{purpose}").sign_object(payload, compress=True)


def unsign(purpose: str, token: str, *, max_age_seconds: int) -> dict[str, Any]:
    """The payload of a link of this purpose, or InvalidLink (tampered, other purpose, expired)."""
    try:
        payload = signing.TimestampSigner(salt=f"accounts.{purpose}").unsign_object(token, max_age=max_age_seconds)
    except (signing.BadSignature, ValueError):
        raise InvalidLink() from None
    if not isinstance(payload, dict):
        raise InvalidLink()
    return payload


def link(path: str, **query: str) -> str:
    """An absolute link to the shop's page (or API endpoint) at `path`."""
    return f"{settings.ACCOUNTS_LINK_BASE_URL.rstrip('/')}{path}?{urlencode(query)}"
