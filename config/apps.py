from django.apps import AppConfig


class ConfigAppConfig(AppConfig):
    """Project-level commands (gRPC server, demo data) that assemble the domain apps."""

    name = "config"
    label = "config"
    verbose_name = "Suite"

    def ready(self) -> None:
        # The probe server of the non-HTTP processes (core/probes.py) asks config's checks.
        from config.health import readiness
        from core.probes import register_readiness

        register_readiness(readiness)

        from config import observability

        observability.connect()
