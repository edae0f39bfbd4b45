"""What notifications contributes to a customer's data export (accounts.privacy): the messages the
shop sent them, as they read them. The text of a message that carried a sign-in or download link
is left out: the archive is a file the customer may pass on, and such a link acts for them."""

from typing import Any

from accounts.privacy import MESSAGES_PART, register_export_part
from notifications import selectors


def messages_part(user_id: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": message.kind,
            "channel": message.channel,
            "to": message.recipient,
            "language": message.language,
            "subject": message.subject,
            "text": "" if message.sensitive else message.body_text,
            "order_ref": message.order_ref,
            "status": message.status,
            "created_at": message.created_at,
            "sent_at": message.sent_at,
        }
        for message in selectors.messages_of_user(user_id)
    ]


def register() -> None:
    register_export_part(MESSAGES_PART, messages_part)
