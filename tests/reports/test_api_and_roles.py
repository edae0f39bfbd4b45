"""The staff reports API, who sees which reports, and a scheduled run on a real Celery worker."""

from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import ANALYST, DISPATCHER, FINANCE, SUPPORT, WAREHOUSE, sync_roles
from reports.models import ReportRun, RunStatus

FAMILIES = {
    ANALYST: {"sales", "customers", "inventory", "operations", "payments"},
    FINANCE: {"sales", "payments"},
    WAREHOUSE: {"inventory"},
    DISPATCHER: {"operations"},
}


def staff(role: str) -> User:
    from django.contrib.auth.models import Permission

    sync_roles(Group, Permission)  # transactional tests flush the groups away
    user = User.objects.create_user(f"{role.lower().replace(' ', '-')}@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name__iexact=role))
    return User.objects.get(pk=user.pk)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_each_role_sees_exactly_its_report_families_and_customers_none() -> None:
    for role, families in FAMILIES.items():
        listed = client_for(staff(role)).get("/api/v1/staff/reports/")
        assert listed.status_code == 200, role
        assert {report["family"] for report in listed.json()} == families, role
    for outsider in (staff(SUPPORT), User.objects.create_user("shopper@example.com")):
        refused = client_for(outsider).get("/api/v1/staff/reports/")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    warehouse = client_for(User.objects.get(email="warehouse@example.com"))
    hidden = warehouse.post(
        "/api/v1/staff/reports/sales/runs/", {"start": "2026-03-01", "end": "2026-03-02"}, format="json"
    )
    assert hidden.status_code == 404 and hidden.json()["code"] == "report_not_found"


@pytest.mark.django_db
def test_bad_parameters_answer_400_with_a_stable_code_and_create_nothing() -> None:
    client = client_for(staff(FINANCE))
    response = client.post(
        "/api/v1/staff/reports/sales/runs/", {"start": "2026-03-09", "end": "2026-03-01", "by": "colour"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_report_parameters" and set(response.json()["fields"]) == {"end", "by"}
    assert client.post("/api/v1/staff/reports/nonsense/runs/", {}, format="json").json()["code"] == "report_not_found"
    assert not ReportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_runs_on_the_analytics_worker_from_the_api_and_from_the_beat_entry(
    celery_worker_process: str, sales_history, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from config.celery import app
    from reports.tasks import execute_report_run

    assert app.amqp.router.route({}, execute_report_run.name)["queue"].name == settings.REPORTS_QUEUE
    client = client_for(staff(ANALYST))
    body = {"start": "2026-03-02", "end": "2026-03-03", "zone": "mitte"}
    asked = client.post("/api/v1/staff/reports/sales/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert asked.status_code == 202, asked.json()
    again = client.post("/api/v1/staff/reports/sales/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json()["id"] == asked.json()["id"] and ReportRun.objects.count() == 1

    entry = settings.CELERY_BEAT_SCHEDULE["reports-daily-sales"]
    for _ in range(2):  # a repeated beat message finds the period's run
        app.send_task(entry["task"], kwargs=entry["kwargs"]).get(timeout=60)
    api_run = ReportRun.objects.get(pk=asked.json()["id"])
    scheduled = ReportRun.objects.exclude(pk=api_run.pk)
    assert scheduled.count() == 1
    run = scheduled.get()
    assert run.status == RunStatus.SUCCEEDED and run.schedule == "sales:yesterday" and run.attempts == 1
    assert Path(run.csv_file.path).exists() and Path(run.xlsx_file.path).exists()

    # One worker takes the analytics queue in order: the API's run, queued first, is done by now.
    detail = client.get(f"/api/v1/staff/reports/runs/{api_run.pk}/")
    assert detail.json()["status"] == "succeeded" and detail.json()["rows"] == 2
    assert detail.json()["summary"]["summary"]["totals"]["net"] == 30.0
    download = client.get(detail.json()["downloads"]["xlsx"])
    target = tmp_path / "run.xlsx"
    target.write_bytes(b"".join(download.streaming_content))
    sheet = openpyxl.load_workbook(target, read_only=True)["report"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["2026-03-02", "2026-03-03"]
    assert settings.REPORTS_FILES_DIR in Path(run.xlsx_file.path).parents


@pytest.mark.django_db
def test_run_now_in_the_admin_catalogue_queues_a_run_or_says_what_is_wrong(client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(staff(FINANCE))
    page = client.get("/admin/reports/reportrun/catalogue/")
    assert [
        row
        for row in ("sales", "payments_failures", "inventory_cover")
        if f'data-report="{row}"' in page.content.decode()
    ] == ["sales", "payments_failures"]
    refused = client.post(
        "/admin/reports/reportrun/catalogue/",
        {"report": "sales", "start": "2026-03-09", "end": "2026-03-01"},
        follow=True,
    )
    assert "Not started" in refused.content.decode() and not ReportRun.objects.exists()
    queued = client.post(
        "/admin/reports/reportrun/catalogue/",
        {"report": "sales", "start": "2026-03-01", "end": "2026-03-09", "by": "zone"},
        follow=True,
    )
    run = ReportRun.objects.get()
    assert f"Run {run.pk} of sales was queued." in queued.content.decode()
    assert (run.status, run.parameters["by"], run.requested_by.email) == ("queued", "zone", "finance@example.com")
