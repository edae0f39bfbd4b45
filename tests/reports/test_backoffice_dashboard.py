"""The admin home is the dashboard of the signed-in person's roles: the right figures for a prepared
day, each a link to the list behind it, and no figures of the other roles."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts.roles import DISPATCHER, FINANCE, SUPPORT, WAREHOUSE
from accounts.services import create_staff_member
from core.outages import outage
from reports.backoffice import dashboard
from tests.reports.backoffice_day import prepare_day

pytestmark = pytest.mark.django_db

FIGURE = re.compile(
    r'data-figure="(?P<key>[^"]+)">\s*(?:<a href="(?P<url>[^"]*)">)?\s*<span class="bo-value">(?P<value>[^<]*)</span>'
)

EVERYONE = {
    "orders_today.confirmed": "1",
    "orders_today.delivered": "1",
    "orders_today.cancelled": "1",
    "orders_today.out_for_delivery": "1",
    "orders_today.pending_payment": "0",
    "orders_past_slot": "1",
}
OWN = {
    SUPPORT: {},
    WAREHOUSE: {"stock_low": "2", "stock_out": "1", "reservations_expiring": "1", "ledger_drift": "0"},
    DISPATCHER: {"shipments_late": "1", "shipments_unassigned": "1"},
    FINANCE: {
        "authorizations_lapsing": "1",
        "captures_failed": "1",
        "refunds_pending": "1",
        "transactions_stuck": "1",
        "sales_today": "12.00 EUR (3 orders)",
        "sales_last_week": "5.00 EUR (1 order), today +140 %",
    },
}
EVERY_ROLE_FIGURE = {key for figures in OWN.values() for key in figures}


def figures_of(html: str) -> dict[str, tuple[str, str]]:
    return {m["key"]: (m["value"].strip(), (m["url"] or "").replace("&amp;", "&")) for m in FIGURE.finditer(html)}


@pytest.fixture
def day():  # type: ignore[no-untyped-def]
    return prepare_day()


def test_each_role_sees_its_figures_and_none_of_the_others(client: Any, day: Any) -> None:
    for role, own in OWN.items():
        client.force_login(day.staff[role])
        page = client.get("/admin/")
        assert page.status_code == 200
        shown = figures_of(page.content.decode())
        assert {key: shown[key][0] for key in EVERYONE} == EVERYONE, role
        assert {key: shown[key][0] for key in own} == own, role
        assert not (EVERY_ROLE_FIGURE - set(own)) & set(shown), role
        assert "outbox_backlog" not in shown and "dead_letters" not in shown  # the system's right is not theirs
        # Every figure leads somewhere that answers (the filtered list behind it).
        for key, (_, url) in shown.items():
            if url:
                assert client.get(url).status_code == 200, (role, key, url)


def test_a_figure_links_to_exactly_the_rows_it_counts(client: Any, day: Any) -> None:
    client.force_login(day.staff[SUPPORT])
    _, url = figures_of(client.get("/admin/").content.decode())["orders_past_slot"]
    listed = client.get(url)
    assert listed.context["cl"].result_count == 1
    assert list(listed.context["cl"].result_list) == [day.late_order]


def test_the_superuser_sees_the_system_state_and_what_others_register(admin_client: Any, day: Any) -> None:
    dashboard.register_system_state(lambda: [dashboard.Figure("redis", "Redis", "degraded", alert=True)])
    failing = outage("dashboard-test-dependency")
    failing.failed("connection refused", what="test")  # an outage this process sees, as /readyz does
    try:
        shown = figures_of(admin_client.get("/admin/").content.decode())
    finally:
        dashboard._system_state_providers.clear()
        failing.succeeded()
    assert shown["degraded.dashboard-test-dependency"][0].endswith(" s")
    assert shown["dead_letters"][0] == "1"
    assert shown["outbox_backlog"][0].isdigit()
    assert {"celery_queue.celery", "celery_queue.analytics"} <= set(shown)
    assert shown["redis"] == ("degraded", "")
    assert set(shown) >= EVERY_ROLE_FIGURE


def test_a_member_of_staff_without_a_role_sees_only_the_orders_of_the_day(client: Any, day: Any) -> None:
    client.force_login(create_staff_member(email="new@example.com", password="x-new-2024-staff"))
    shown = figures_of(client.get("/admin/").content.decode())
    assert set(shown) == set(EVERYONE) | {
        f"orders_today.{s}" for s in ("picking", "packed", "partially_refunded", "refunded")
    }
    assert Group.objects.filter(user__email="new@example.com").count() == 0
