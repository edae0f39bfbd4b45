"""Shapes of the staff reports API."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from reports.models import ReportRun


class ReportSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    family = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    by = serializers.ListField(child=serializers.CharField(), help_text="what `by` may name (sales)")


class RunRequestSerializer(serializers.Serializer[Any]):
    """The report's parameters; checked by the report itself (400 `invalid_report_parameters`)."""

    start = serializers.CharField(help_text="first local day, YYYY-MM-DD")
    end = serializers.CharField(help_text="last local day, YYYY-MM-DD")
    granularity = serializers.CharField(required=False, help_text="day, week or month")
    warehouse = serializers.CharField(required=False)
    zone = serializers.CharField(required=False)
    currency = serializers.CharField(required=False)
    by = serializers.CharField(required=False)
    horizon = serializers.IntegerField(required=False)


class RunSerializer(serializers.ModelSerializer[ReportRun]):
    downloads = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "report",
            "parameters",
            "schedule",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "rows",
            "error",
            "summary",
            "downloads",
        ]

    def get_downloads(self, run: ReportRun) -> dict[str, str]:
        request = self.context.get("request")
        links = {}
        for kind, stored in (("csv", run.csv_file), ("xlsx", run.xlsx_file)):
            if stored:
                url = reverse("v1:reports:staff-report-run-download", kwargs={"run_id": run.pk, "kind": kind})
                links[kind] = request.build_absolute_uri(url) if request else url
        return links
