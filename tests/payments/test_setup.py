"""What an operator and a newcomer meet: the finance role, the deploy check, the demo data."""

import pytest
from django.contrib.auth.models import Group

from payments import demo
from payments.checks import check_webhook_secrets
from payments.models import Payment

pytestmark = pytest.mark.django_db


def test_the_migrations_give_the_finance_role_every_payments_permission() -> None:
    group = Group.objects.get(name__iexact="finance")  # one group, whoever's migration made it first
    codenames = set(group.permissions.filter(content_type__app_label="payments").values_list("codename", flat=True))
    assert {"view_payment", "add_payment", "capture_payment", "refund_payment", "void_payment",
            "view_paymenttransaction", "view_webhookevent"} <= codenames


def test_the_deploy_check_refuses_a_webhook_gateway_without_a_secret(settings) -> None:  # type: ignore[no-untyped-def]
    assert check_webhook_secrets() == []
    settings.PAYMENTS_GATEWAYS["test_card"]["WEBHOOK_SECRETS"] = []
    assert [m.id for m in check_webhook_secrets()] == ["payments.E001"]
    del settings.PAYMENTS_GATEWAYS["test_card"]
    assert check_webhook_secrets() == []


def test_the_demo_data_loads_twice_without_duplicates_and_lists_the_test_cards() -> None:
    first = demo.load()
    again = demo.load()
    assert first == again
    assert Payment.objects.filter(order_ref=demo.DEMO_ORDER_REF).count() == 1
    assert any("4242424242424242" in line for line in first)
    assert any("4000000000000002: declined: card_declined" in line for line in first)
    assert any(demo.DEMO_FINANCE_EMAIL in line for line in first)
