"""Wired under /admin/backoffice/ by config/urls.py, behind the admin's sign-in (admin_view)."""

from django.contrib import admin
from django.urls import path

from reports.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("queues/<slug:key>/", admin.site.admin_view(views.queue_view), name="queue"),
    path(
        "queues/<slug:key>/<slug:action>/<int:pk>/",
        admin.site.admin_view(views.action_view),
        name="queue-action",
    ),
]
