"""Each role signs in to the back office in a real browser (Debian's Chromium, one for all of them,
at a tablet's width): the home page is their dashboard, a figure leads to the list behind it, and a
work-queue action runs end to end with its confirmation."""

from typing import Any

import pytest

from accounts.roles import DISPATCHER, FINANCE, SUPPORT, WAREHOUSE
from core.models import AuditEntry
from inventory.models import Reservation
from payments.models import PaymentTransaction
from tests.browser import chromium, sign_in_to_admin
from tests.reports.backoffice_day import PASSWORD, prepare_day

pytestmark = pytest.mark.django_db(transaction=True)

TABLET = {"width": 820, "height": 1180}
# A figure each role follows, and how many rows the list behind it shows.
FOLLOWS = {
    SUPPORT: ("orders_past_slot", 1),
    WAREHOUSE: ("stock_out", 1),
    DISPATCHER: ("shipments_unassigned", 1),
    FINANCE: ("orders_today.delivered", 1),
}
OWN_SECTION = {SUPPORT: None, WAREHOUSE: "warehouse", DISPATCHER: "dispatch", FINANCE: "finance"}


def test_every_role_works_from_its_dashboard(live_server: Any) -> None:
    day = prepare_day()
    base = live_server.url
    with chromium() as browser:
        for role, (figure, rows) in FOLLOWS.items():
            page = browser.new_context(viewport=TABLET).new_page()
            sign_in_to_admin(page, base, f"{role.lower()}@example.com", PASSWORD)
            sections = page.eval_on_selector_all("[data-section]", "nodes => nodes.map(n => n.dataset.section)")
            assert sections[0] == "orders", role
            assert set(sections) - {"orders", "queues"} == ({OWN_SECTION[role]} - {None}), role
            assert page.is_visible(f"[data-figure='{figure}'] .bo-value"), role
            page.click(f"[data-figure='{figure}'] a")
            page.wait_for_selector("#result_list, p.paginator")
            assert page.locator("#result_list tbody tr").count() == rows, role
            if role == DISPATCHER:
                page.go_back()
                page.wait_for_selector("canvas.report-canvas[data-drawn=true]")  # the slot-fill heat map
            page.context.close()

        # The warehouse releases an expiring reservation from its queue, confirming first.
        page = browser.new_context(viewport=TABLET).new_page()
        sign_in_to_admin(page, base, "warehouse@example.com", PASSWORD)
        page.click("[data-figure='reservations_expiring'] a")
        page.click(f"tr[data-row='{day.reservation.pk}'] a[data-action='release']")
        page.wait_for_selector(".bo-confirm")
        assert "recorded in the audit trail" in page.inner_text(".bo-confirm")  # asked first
        page.click("input[name=confirm]")
        page.wait_for_selector(".messagelist .success")
        assert "available again" in page.inner_text(".messagelist")
        assert page.locator(f"tr[data-row='{day.reservation.pk}']").count() == 0
        page.context.close()
    assert Reservation.objects.get(pk=day.reservation.pk).state == "released"
    entry = AuditEntry.objects.get(action="reservations.release")
    assert (entry.actor_email, entry.channel) == ("warehouse@example.com", "admin")
    assert PaymentTransaction.objects.get(pk=day.stuck_refund.pk).status == "pending"  # nothing else moved
