"""The customer's payments as a part of their data export (accounts.privacy): what they paid
with, how much was authorized, captured and refunded; never the gateway's payment method token."""

from typing import Any

from accounts.privacy import register_export_part
from payments.selectors import payments_of_customer

FIELDS = (
    "id",
    "order_ref",
    "gateway",
    "payment_method_label",
    "state",
    "currency",
    "amount",
    "authorized_amount",
    "captured_amount",
    "refunded_amount",
    "failure_message",
    "created_at",
    "authorized_at",
)


def payments_part(user_id: int) -> list[dict[str, Any]]:
    return [
        {name: str(value) if name.endswith("amount") else value for name, value in row.items()}
        for row in payments_of_customer(user_id).values(*FIELDS)
    ]


register_export_part("payments", payments_part)
