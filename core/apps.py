from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared building blocks; its one model is the Idempotency-Key record of the HTTP layer."""

    name = "core"
    label = "core"
    verbose_name = "Suite"
