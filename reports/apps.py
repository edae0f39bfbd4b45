from importlib import import_module

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Registers the tasks the services queue by name (core.queue), so they also run eagerly.
        import_module("reports.tasks")
