from importlib import import_module

from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        # Registers the tasks the services queue by name (core.queue), so they also run eagerly.
        import_module("delivery.tasks")
