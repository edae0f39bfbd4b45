"""The kinds of message the shop sends, and what each needs from its sender.

A kind names its templates (notifications/email/<language>/<kind>.subject.txt, .txt and .html;
notifications/sms/<language>/<kind>.txt for the kinds that also go by SMS)."""

from enum import StrEnum


class Kind(StrEnum):
    ORDER_PLACED = "order_placed"
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_PICKED = "order_picked"
    ORDER_OUT_FOR_DELIVERY = "order_out_for_delivery"
    ORDER_DELIVERED = "order_delivered"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    # Account messages: accounts asks for them through accounts.signals.account_message_requested
    # (accounts.services.messages.ACCOUNT_MESSAGE_KINDS is the same list).
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a message kind, not a secret
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a message kind, not a secret
    EMAIL_CHANGE = "email_change"
    EMAIL_CHANGED = "email_changed"
    DATA_EXPORT_READY = "data_export_ready"
    ACCOUNT_DELETED = "account_deleted"


# The context keys an account message must carry (besides what notifications adds itself).
ACCOUNT_KINDS: dict[Kind, frozenset[str]] = {
    Kind.VERIFY_EMAIL: frozenset({"link"}),
    Kind.PASSWORD_RESET: frozenset({"link"}),
    Kind.PASSWORD_CHANGED: frozenset(),
    Kind.EMAIL_CHANGE: frozenset({"link", "new_email"}),
    Kind.EMAIL_CHANGED: frozenset({"new_email"}),
    Kind.DATA_EXPORT_READY: frozenset({"link"}),
    Kind.ACCOUNT_DELETED: frozenset(),
}
# Messages whose body lets the reader act as the customer (a sign-in or download link): the admin
# does not show their body, and they are never sent again by hand.
SENSITIVE_KINDS = frozenset({Kind.VERIFY_EMAIL, Kind.PASSWORD_RESET, Kind.EMAIL_CHANGE, Kind.DATA_EXPORT_READY})
# Kinds that also go by SMS to customers who asked for it.
SMS_KINDS = frozenset({Kind.ORDER_OUT_FOR_DELIVERY})
