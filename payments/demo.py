"""Demo data of payments: a finance login, one card payment waiting to be captured, and the test
cards to try. Safe to load again: the payment is matched by its idempotency key."""

from decimal import Decimal

from accounts.selectors import first_customer, user_by_email
from accounts.services import create_staff_member
from core.money import default_currency
from payments import services
from payments.gateways import gateway_names
from payments.sandbox.provider import TEST_CARDS

DEMO_FINANCE_EMAIL = "finance@example.com"
DEMO_FINANCE_PASSWORD = "ledger-balanced-7"  # noqa: S105  (demo data, printed to the newcomer on purpose)
DEMO_ORDER_REF = "DEMO-1001"


def load() -> list[str]:
    finance = user_by_email(DEMO_FINANCE_EMAIL)
    if finance is None:
        finance = create_staff_member(
            email=DEMO_FINANCE_EMAIL, password=DEMO_FINANCE_PASSWORD, first_name="Fin", last_name="Ance"
        )
    finance.groups.add(services.ensure_finance_group())
    customer = first_customer() or finance
    payment = (
        services.start_payment(
            order_ref=DEMO_ORDER_REF,
            customer=customer,
            amount=Decimal("48.20"),
            currency=default_currency(),
            gateway="test_card",
            payment_method="4242424242424242",
            idempotency_key=f"demo:{DEMO_ORDER_REF}",
        )
        if "test_card" in gateway_names()
        else None
    )
    lines = [f"Finance login (admin: payments, capture, refund): {DEMO_FINANCE_EMAIL} / {DEMO_FINANCE_PASSWORD}"]
    if payment is not None:
        lines.append(
            f"Payment {payment.pk} for order {DEMO_ORDER_REF}: 48.20 EUR by test card, to capture in the admin"
        )
    lines += [f"Test card {card.number}: {card.description}" for card in TEST_CARDS.values()]
    return lines
