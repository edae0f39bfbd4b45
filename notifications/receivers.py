"""In-process reactions of notifications to other apps' signals."""

from typing import Any

from notifications import services


def send_requested_account_message(
    sender: Any,
    *,
    user_id: int,
    kind: str,
    context: dict[str, str],
    key: str,
    email: str = "",
    language: str = "",
    **kwargs: Any,
) -> None:
    """accounts.signals.account_message_requested: render and send the account message, in the
    sender's transaction (it is queued only if that commits)."""
    services.send_account_message(user_id, kind, context, key=key, email=email, language=language)
