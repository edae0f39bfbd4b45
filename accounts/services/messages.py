"""The one place accounts asks for a message to a person about their account.

accounts does not send e-mail: `request_account_message` sends the in-process signal
`accounts.signals.account_message_requested`, and the notifications app (above accounts, which
cannot import it) renders the kind's templates in the person's language, records the message once
per `key` and sends it by its Celery task, retried (docs/decisions/0055, 0057). Call it inside the
transaction whose outcome the message reports: notifications records it in that transaction and
queues the sending on commit, and a refusal (unknown kind, missing context) rolls it back.

`key` names the request the message answers (a reset token, an export, a change), the same on every
run of a retried task, so a retry sends nothing twice.
"""

import hashlib
import logging
from datetime import datetime
from typing import Any

from accounts.models import User
from accounts.signals import account_message_requested

logger = logging.getLogger(__name__)

# The account messages and the context each needs (notifications.kinds.ACCOUNT_KINDS, the same).
ACCOUNT_MESSAGE_KINDS: dict[str, frozenset[str]] = {
    "verify_email": frozenset({"link"}),
    "password_reset": frozenset({"link"}),
    "password_changed": frozenset(),
    "email_change": frozenset({"link", "new_email"}),
    "email_changed": frozenset({"new_email"}),
    "data_export_ready": frozenset({"link"}),
    "account_deleted": frozenset(),
}


def key_of_token(token: str) -> str:
    """A message key from a one-time token, without the token (keys are stored and logged)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def request_account_message(
    kind: str, *, user_id: int, key: str, context: dict[str, Any], email: str = "", language: str = ""
) -> None:
    """Ask for the `kind` message to the account `user_id` (at `email` instead of its address, if
    given: the new address of a change, the old one of a change or an erasure); once per `key`."""
    needed = ACCOUNT_MESSAGE_KINDS.get(kind)
    if needed is None:
        raise ValueError(f"unknown account message kind {kind!r}")
    if not needed <= context.keys() or not key:
        raise ValueError(f"a {kind} message needs a key and {', '.join(sorted(needed)) or 'no context'}")
    receivers = account_message_requested.send(
        sender=User,
        user_id=user_id,
        kind=kind,
        context={name: _text(value) for name, value in context.items()},
        key=f"{kind}:{key}",
        email=email,
        language=language,
    )
    if not receivers:  # notifications not installed: nobody sends account messages
        logger.warning("account message %s for user %s: no app sends account messages", kind, user_id)
