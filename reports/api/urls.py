from django.urls import path, re_path

from reports.api import views

app_name = "reports"

urlpatterns = [
    path("staff/reports/", views.ReportListView.as_view(), name="staff-reports"),
    path("staff/reports/runs/<int:run_id>/", views.ReportRunDetailView.as_view(), name="staff-report-run"),
    re_path(
        r"^staff/reports/runs/(?P<run_id>[0-9]+)/(?P<kind>csv|xlsx)/$",
        views.ReportRunDownloadView.as_view(),
        name="staff-report-run-download",
    ),
    path("staff/reports/<str:name>/runs/", views.ReportRunCreateView.as_view(), name="staff-report-runs"),
]
