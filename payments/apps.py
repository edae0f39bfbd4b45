from importlib import import_module

from django.apps import AppConfig

# The sandbox payment provider lives apart from the payments core (payments/sandbox/); this is
# where it is plugged in: its tables are this app's, its admin pages and Celery tasks register here.
SANDBOX = "payments.sandbox"


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def import_models(self) -> None:
        super().import_models()
        import_module(f"{SANDBOX}.models")

    def ready(self) -> None:
        # The deployment checks register on import. The tasks modules register their tasks, which
        # the services queue by name (payments.services.queue): registered, they also run
        # eagerly when Celery is configured to.
        # payments.privacy registers the customer's payments as a part of their data export.
        for module in ("payments.checks", "payments.privacy", "payments.tasks", f"{SANDBOX}.admin", f"{SANDBOX}.tasks"):
            import_module(module)
