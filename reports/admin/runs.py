"""Report runs in the admin, and the pages built on them (catalogue, families, one run)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.errors import DomainError
from reports import services
from reports.catalogue import FAMILIES, Report, get_report, reports_for
from reports.models import ReplenishmentPolicy, ReportRun, RunStatus

TABLE_ROWS = 500  # a page shows at most this many rows; the files have them all


class RunNowForm(forms.Form):
    report = forms.CharField(widget=forms.HiddenInput)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(choices=[(g, g) for g in ("day", "week", "month")], required=False)
    warehouse = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 8}))
    zone = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 8}))
    by = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 8}))


def _visible_names(request: HttpRequest) -> set[str]:
    return {report.name for report in reports_for(request.user)}


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin[ReportRun]):
    list_display = ("id", "report", "period", "status", "requested", "created_at", "rows", "downloads", "view")
    list_filter = ("status", "report")
    change_list_template = "admin/reports/reportrun/change_list.html"
    readonly_fields = [field.name for field in ReportRun._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportRun]:
        return super().get_queryset(request).filter(report__in=_visible_names(request)).select_related("requested_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are asked for on the catalogue page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="period")
    def period(self, run: ReportRun) -> str:
        return f"{run.parameters.get('start')} to {run.parameters.get('end')}"

    @admin.display(description="asked by")
    def requested(self, run: ReportRun) -> str:
        return run.schedule or (run.requested_by.email if run.requested_by else "")

    @admin.display(description="files")
    def downloads(self, run: ReportRun) -> str:
        return format_html_join(
            " ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:reports_reportrun_download", args=[run.pk, kind]), kind.upper())
                for kind, stored in (("csv", run.csv_file), ("xlsx", run.xlsx_file))
                if stored
            ),
        )

    @admin.display(description="")
    def view(self, run: ReportRun) -> str:
        if run.status != RunStatus.SUCCEEDED:
            return run.error[:80]
        return format_html('<a href="{}">chart and table</a>', reverse("admin:reports_reportrun_show", args=[run.pk]))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("catalogue/", wrap(self.catalogue_view), name="reports_reportrun_catalogue"),
            path("family/<str:family>/", wrap(self.family_view), name="reports_reportrun_family"),
            path("<int:run_id>/show/", wrap(self.run_view), name="reports_reportrun_show"),
            path("<int:run_id>/download/<str:kind>/", wrap(self.download_view), name="reports_reportrun_download"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        families = [family for family in FAMILIES if request.user.has_perm(f"reports.access_{family}_reports")]
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "families": families,
            **extra,
        }

    def _visible_run(self, request: HttpRequest, run_id: int) -> ReportRun:
        run = self.get_queryset(request).filter(pk=run_id).first()
        if run is None:
            raise Http404("No such report run.")
        return run

    def catalogue_view(self, request: HttpRequest) -> HttpResponse:
        reports = reports_for(request.user)
        if not reports:
            raise PermissionDenied
        if request.method == "POST":
            form = RunNowForm(request.POST)
            if form.is_valid():
                raw = {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in form.cleaned_data.items()
                    if v and k != "report"
                }
                try:
                    assert isinstance(request.user, get_user_model())
                    run = services.request_run(form.cleaned_data["report"], raw, user=request.user)
                except DomainError as exc:
                    problems = " ".join(f"{name}: {' '.join(m)}" for name, m in exc.fields.items())
                    self.message_user(request, f"Not started: {exc.message} {problems}", messages.ERROR)
                else:
                    self.message_user(request, f"Run {run.pk} of {run.report} was queued.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:reports_reportrun_changelist"))
        today = timezone.localdate()
        initial = {"start": today.replace(day=1) if today.day > 1 else today, "end": today}
        rows = [(report, RunNowForm(initial={**initial, "report": report.name})) for report in reports]
        return TemplateResponse(
            request, "admin/reports/reportrun/catalogue.html", self._context(request, "Report catalogue", rows=rows)
        )

    def _panel(self, report: Report, run: ReportRun | None) -> dict[str, Any]:
        panel: dict[str, Any] = {"report": report, "run": run, "columns": [], "rows": [], "chart": None}
        if run is not None and run.csv_file:
            import pandas as pd  # here, not at import: see reports.catalogue's docstring

            with run.csv_file.open("rb") as stored:
                table = pd.read_csv(stored, nrows=TABLE_ROWS, keep_default_na=False)
            panel.update(
                columns=list(table.columns),
                rows=table.values.tolist(),
                chart=run.summary.get("chart"),
                chart_id=f"chart-data-{run.pk}",
                truncated=(run.rows or 0) > TABLE_ROWS,
            )
        return panel

    def family_view(self, request: HttpRequest, family: str) -> HttpResponse:
        if family not in FAMILIES or not request.user.has_perm(f"reports.access_{family}_reports"):
            raise Http404("No such report family.")
        panels = []
        for report in reports_for(request.user):
            if report.family == family:
                latest = ReportRun.objects.filter(report=report.name, status=RunStatus.SUCCEEDED).first()
                panels.append(self._panel(report, latest))
        return TemplateResponse(
            request,
            "admin/reports/reportrun/family.html",
            self._context(request, f"{family.capitalize()} reports", panels=panels, family=family),
        )

    def run_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._visible_run(request, run_id)
        panel = self._panel(get_report(run.report), run)
        return TemplateResponse(
            request,
            "admin/reports/reportrun/family.html",
            self._context(
                request, f"{panel['report'].title}, run {run.pk}", panels=[panel], family=panel["report"].family
            ),
        )

    def download_view(self, request: HttpRequest, run_id: int, kind: str) -> FileResponse:
        run = self._visible_run(request, run_id)
        stored = run.csv_file if kind == "csv" else run.xlsx_file if kind == "xlsx" else None
        if not stored:
            raise Http404("This run has no such file.")
        return FileResponse(stored.open("rb"), as_attachment=True, filename=(stored.name or "").rsplit("/", 1)[-1])


@admin.register(ReplenishmentPolicy)
class ReplenishmentPolicyAdmin(admin.ModelAdmin[ReplenishmentPolicy]):
    list_display = ("warehouse_code", "lead_time_days", "service_level", "review_days")
