"""The notifications app's refusals, with stable codes (core.errors)."""

from core.errors import InvalidInput


class UnknownMessageKind(InvalidInput):
    code = "unknown_message_kind"
    default_message = "There is no message of that kind."


class MessageNotResendable(InvalidInput):
    code = "message_not_resendable"
    default_message = "Only a failed or unconfirmed message can be sent again."
