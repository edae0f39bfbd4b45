"""What an operator and a newcomer meet: the finance role, the deploy check, the demo data; and how
the app is wired: tasks queued by name, the sandbox provider apart from the core."""

import ast
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group

from config.celery import app
from payments import demo
from payments.checks import check_webhook_secrets
from payments.models import Payment
from payments.sandbox import provider, webhooks
from payments.services import queue

pytestmark = pytest.mark.django_db


def test_the_migrations_give_the_finance_role_every_payments_permission() -> None:
    group = Group.objects.get(name__iexact="finance")  # one group, whoever's migration made it first
    codenames = set(group.permissions.filter(content_type__app_label="payments").values_list("codename", flat=True))
    assert {
        "view_payment",
        "add_payment",
        "capture_payment",
        "refund_payment",
        "void_payment",
        "view_paymenttransaction",
        "view_webhookevent",
    } <= codenames


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


def test_every_task_queued_or_scheduled_by_name_is_registered_under_that_name() -> None:
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    names = {
        queue.EXECUTE_TRANSACTION,
        queue.APPLY_WEBHOOK_EVENT,
        webhooks.DELIVER_WEBHOOK,
        provider.COMPLETE_AUTHENTICATION,
        *(name for name in scheduled if name.startswith("payments.")),
    }
    assert names - set(app.tasks) == set()


def test_the_payments_core_does_not_import_the_sandbox_provider() -> None:
    root = Path(__file__).resolve().parents[2] / "payments"
    wiring = {root / "apps.py", root / "demo.py"}  # plugs the sandbox in; lists its test cards
    importers = []
    for path in root.rglob("*.py"):
        if root / "sandbox" in path.parents or path in wiring:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "payments.sandbox" or name.startswith("payments.sandbox.") for name in names):
                importers.append(str(path.relative_to(root)))
    assert importers == []
