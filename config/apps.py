from django.apps import AppConfig


class ConfigAppConfig(AppConfig):
    """Project-level commands (gRPC server, demo data) that assemble the domain apps."""

    name = "config"
    label = "config"
    verbose_name = "Suite"
