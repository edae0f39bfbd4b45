"""The one place accounts hands a message to a person about their account.

`deliver_account_message(kind, ...)` announces the message with the in-process signal
`accounts.signals.account_message_requested` (kind, user id, address and context), and, until the
notifications app takes over, sends it itself as a plain-text and HTML e-mail through Django's
e-mail backend (console in `make run`). When notifications is merged, it receives the signal and
sends the message (its templates, language, retries, record); `SEND_HERE` then turns off the
sending below, and nothing else in accounts changes (docs/decisions/0057).
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.signals import account_message_requested

logger = logging.getLogger(__name__)

# The kinds and their subjects; each has accounts/email/<kind>.txt and .html templates.
SUBJECTS: dict[str, str] = {
    "verify_email": "Confirm your e-mail address",
    "password_reset": "Reset your password",
    "password_changed": "Your password was changed",
    "email_change": "Confirm your new e-mail address",
    "email_changed": "Your e-mail address was changed",
    "data_export_ready": "Your data export is ready",
    "account_erased": "Your account was deleted",
}

# Whether accounts sends the e-mail itself (True until notifications sends account messages).
SEND_HERE = True


def deliver_account_message(kind: str, *, to: str, user_id: int | None, context: Mapping[str, Any]) -> None:
    """Tell `to` about their account; `context` fills the kind's templates."""
    if kind not in SUBJECTS:
        raise ValueError(f"unknown account message kind {kind!r}")
    account_message_requested.send(sender=None, kind=kind, user_id=user_id, to=to, context=dict(context))
    if not SEND_HERE:
        return
    values = {"shop_name": "Commerce suite", **context}
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind],
        body=render_to_string(f"accounts/email/{kind}.txt", values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{kind}.html", values), "text/html")
    message.send()
    logger.info("account message sent", extra={"kind": kind, "user_id": user_id})
