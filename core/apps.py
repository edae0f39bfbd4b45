from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared building blocks; its models are the Idempotency-Key record of the HTTP layer and
    the staff audit trail."""

    name = "core"
    label = "core"
    verbose_name = "Suite"

    def ready(self) -> None:
        from core import audit

        audit.connect()
