"""OpenTelemetry tracing of every process, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or the
traces-only `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set (docs/decisions/0030).

`init_tracing(role)` runs once per process after any fork (gunicorn's post_fork, Celery's
worker_process_init, beat's start, the gRPC, relay and consumer commands): a TracerProvider with
the OTLP/HTTP exporter behind a batch processor, and instrumentation of Django (HTTP server
spans), the gRPC server, Celery (publish and run, context in the task headers), psycopg and Redis.
The standard variables configure the rest: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_HEADERS/_TIMEOUT, OTEL_SDK_DISABLED. The domain
events carry the trace across the outbox and Kafka themselves (events/tracing.py).
"""

import logging
import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

logger = logging.getLogger(__name__)

_state: dict[str, Any] = {"provider": None, "instrumentors": []}


def tracing_configured() -> bool:
    """True when the standard variables ask for traces to be exported."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def init_tracing(role: str, *, exporter: SpanExporter | None = None) -> bool:
    """Start tracing in this process; False (and nothing done) when it is not configured.

    `exporter` replaces the OTLP exporter (tests pass an InMemorySpanExporter); its spans are
    exported synchronously so a test sees them as soon as they end.
    """
    if _state["provider"] is not None:
        if not _state["instrumentors"]:
            _state["instrumentors"] = _instrument(_state["provider"])
        return True
    if exporter is None and not tracing_configured():
        return False
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # gunicorn's post_fork runs before wsgi.py
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    if exporter is None and protocol not in (None, "", "http/protobuf"):
        logger.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported; exporting with http/protobuf", protocol)
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME") or "commerce",
            "service.namespace": "commerce",
            "commerce.process_role": role,
            "process.pid": os.getpid(),
        }
    )
    provider = TracerProvider(resource=resource)  # the sampler comes from OTEL_TRACES_SAMPLER(_ARG)
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _state["provider"] = provider
    _state["instrumentors"] = _instrument(provider)
    logger.info("tracing: on for %s (%s)", role, ", ".join(type(i).__name__ for i in _state["instrumentors"]))
    return True


def _instrument(provider: TracerProvider) -> list[Any]:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorServer
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    instrumentors: list[Any] = []
    configured: tuple[tuple[Any, dict[str, Any]], ...] = (
        # Probes and scrapes are not traced: they would drown the requests that matter.
        (DjangoInstrumentor(), {"excluded_urls": "healthz,readyz,metrics"}),
        (GrpcInstrumentorServer(), {}),
        (CeleryInstrumentor(), {}),
        (PsycopgInstrumentor(), {}),
        (RedisInstrumentor(), {}),
    )
    for instrumentor, options in configured:
        instrumentor.instrument(tracer_provider=provider, **options)
        instrumentors.append(instrumentor)
    return instrumentors


def shutdown_tracing() -> None:
    """Undo the instrumentation and flush what is buffered (tests; a process exiting flushes by
    itself through the SDK's atexit hook). The provider stays, as OpenTelemetry sets it once per
    process: a later `init_tracing` instruments again with it."""
    for instrumentor in reversed(_state["instrumentors"]):
        instrumentor.uninstrument()
    _state["instrumentors"] = []
    provider = _state["provider"]
    if provider is not None:
        provider.force_flush()
