from django.urls import path

from reports.api import views

app_name = "reports"

urlpatterns = [
    path("staff/reports/", views.ReportListView.as_view(), name="staff-reports"),
    path("staff/reports/runs/<int:run_id>/", views.ReportRunDetailView.as_view(), name="staff-report-run"),
    path("staff/reports/runs/<int:run_id>/<str:kind>/", views.ReportRunDownloadView.as_view(),
         name="staff-report-run-download"),
    path("staff/reports/<str:name>/runs/", views.ReportRunCreateView.as_view(), name="staff-report-runs"),
]
