"""An analyst opens the sales page of the back office in a real browser (Debian's Chromium): the
chart is drawn from the same figures as the table beside it, and the XLSX download reads back."""

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission

from accounts import services as accounts
from accounts.roles import ANALYST, FINANCE, WAREHOUSE, sync_roles
from reports import services
from reports.models import ReportRun
from tests.browser import browser_page, sign_in_to_admin

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "numbers-tell-2024"


def test_the_sales_chart_matches_its_table_and_the_xlsx_reads_back(
    live_server: Any, sales_history, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sync_roles(Group, Permission)
    analyst = accounts.create_staff_member(email="analyst@example.com", password=PASSWORD)
    analyst.groups.add(Group.objects.get(name=ANALYST))
    run = ReportRun.objects.create(
        report="sales", parameters={"start": "2026-03-02", "end": "2026-03-03", "zone": "mitte"}
    )
    services.execute_run(run.pk)
    base = live_server.url
    with browser_page() as page:
        sign_in_to_admin(page, base, "analyst@example.com", PASSWORD)
        page.goto(f"{base}/admin/reports/reportrun/catalogue/")
        assert page.locator("#report-catalogue tr[data-report]").count() == 12
        page.goto(f"{base}/admin/reports/reportrun/family/sales/")
        page.wait_for_selector("canvas.report-canvas[data-drawn=true]")
        chart = page.evaluate("""() => {
            const chart = Chart.getChart(document.querySelector('canvas.report-canvas'));
            return {labels: chart.data.labels, sets: chart.data.datasets.map(s => [s.label, s.data])};
        }""")
        columns = page.eval_on_selector_all(
            "#report-sales table.report-rows th", "cells => cells.map(cell => cell.dataset.column)"
        )
        rows = [row.locator("td").all_inner_texts() for row in page.locator("#report-sales tbody tr").all()]
        table = {name: [row[columns.index(name)] for row in rows] for name in ("period", "gross", "net")}
        assert chart["labels"] == table["period"] == ["2026-03-02", "2026-03-03"]
        assert (
            chart["sets"]
            == [["gross", [float(v) for v in table["gross"]]], ["net", [float(v) for v in table["net"]]]]
            == [["gross", [31.0, 10.0]], ["net", [20.0, 10.0]]]
        )
        with page.expect_download() as download:
            page.click("#report-sales a.download-xlsx")
        target = tmp_path / "sales.xlsx"
        download.value.save_as(target)
    sheet = openpyxl.load_workbook(target, read_only=True)["report"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("period", "orders", "cancellations")
    assert [(row[0], row[values[0].index("net")]) for row in values[1:]] == [("2026-03-02", 20), ("2026-03-03", 10)]


def test_each_role_gets_only_its_families_in_the_admin(client, sales_history) -> None:  # type: ignore[no-untyped-def]
    sync_roles(Group, Permission)
    run = ReportRun.objects.create(report="sales", parameters={"start": "2026-03-02", "end": "2026-03-03"})
    services.execute_run(run.pk)
    for role, allowed, hidden in ((FINANCE, "sales", "inventory"), (WAREHOUSE, "inventory", "sales")):
        member = accounts.create_staff_member(email=f"{role.lower()}@example.com", password=PASSWORD)
        member.groups.add(Group.objects.get(name=role))
        client.force_login(member)
        assert client.get(f"/admin/reports/reportrun/family/{allowed}/").status_code == 200
        assert client.get(f"/admin/reports/reportrun/family/{hidden}/").status_code == 404
        downloads = client.get(f"/admin/reports/reportrun/{run.pk}/download/xlsx/").status_code
        assert downloads == (200 if role == FINANCE else 404)
