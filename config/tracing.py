"""OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/decisions/0030)."""


def init_tracing(role: str) -> bool:
    return False
