from importlib import import_module

from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoices"

    def ready(self) -> None:
        # Registers the task the services queue by name (core.queue), so it also runs eagerly.
        import_module("invoicing.tasks")
