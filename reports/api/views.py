"""The staff reports API: the catalogue a role may see, asking for a run, a run's status and files.

Which reports a staff member sees follows their role (reports.catalogue.reports_for); a run of a
report they may not see is "not found", as for any object that is not theirs."""

from typing import Any

from django.contrib.auth import get_user_model
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent, key_parameter
from reports import services
from reports.api.serializers import ReportSerializer, RunRequestSerializer, RunSerializer
from reports.catalogue import get_report, reports_for
from reports.errors import ReportNotFound, ReportRunNotFound
from reports.models import ReportRun

IDEMPOTENCY_KEY = key_parameter("The same key and body asks for one run.", required=False)


class ReportsPermission(BasePermission):
    message = "Only staff whose role includes reports can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and reports_for(user))


def _visible_report(user: Any, name: str) -> Any:
    report = get_report(name)
    if not user.has_perm(report.permission):
        raise ReportNotFound()
    return report


def _visible_run(user: Any, run_id: int) -> ReportRun:
    run = ReportRun.objects.filter(pk=run_id).first()
    if run is None or run.report not in {report.name for report in reports_for(user)}:
        raise ReportRunNotFound()
    return run


class ReportsView(APIView):
    permission_classes = [ReportsPermission]


class ReportListView(ReportsView):
    @extend_schema(
        tags=["staff: reports"],
        responses={200: ReportSerializer(many=True)},
        summary="The reports the caller's role may see and run",
    )
    def get(self, request: Request) -> Response:
        reports = [
            {"name": r.name, "family": r.family, "title": r.title, "description": r.description, "by": list(r.by)}
            for r in reports_for(request.user)
        ]
        return Response(ReportSerializer(reports, many=True).data)


class ReportRunCreateView(ReportsView):
    extra_error_statuses = {
        404: "`report_not_found`: no such report, or not one the caller's role sees.",
        409: "A request with this Idempotency-Key is still running.",
        422: "`idempotency_key_reused`: the key was used for a different request.",
    }

    @extend_schema(
        tags=["staff: reports"],
        request=RunRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: RunSerializer},
        summary="Ask for a run of a report; an analytics worker computes it (poll the run)",
    )
    @idempotent(required=False)
    def post(self, request: Request, name: str) -> Response:
        report = _visible_report(request.user, name)
        raw = request.data if isinstance(request.data, dict) else {}
        assert isinstance(request.user, get_user_model())
        run = services.request_run(report.name, dict(raw), user=request.user)
        return Response(
            RunSerializer(run, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/staff/reports/runs/{run.pk}/"},
        )


class ReportRunDetailView(ReportsView):
    @extend_schema(
        tags=["staff: reports"], responses={200: RunSerializer}, summary="A run: its status, summary and download links"
    )
    def get(self, request: Request, run_id: int) -> Response:
        return Response(RunSerializer(_visible_run(request.user, run_id), context={"request": request}).data)


class ReportRunDownloadView(ReportsView):
    @extend_schema(
        tags=["staff: reports"],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY)},
        operation_id="staff_reports_runs_download",
        summary="A run's CSV or XLSX file",
    )
    def get(self, request: Request, run_id: int, kind: str) -> FileResponse:
        run = _visible_run(request.user, run_id)
        stored = run.csv_file if kind == "csv" else run.xlsx_file
        if not stored:
            raise ReportRunNotFound("This run has no such file (yet).")
        return FileResponse(stored.open("rb"), as_attachment=True, filename=(stored.name or "").rsplit("/", 1)[-1])
