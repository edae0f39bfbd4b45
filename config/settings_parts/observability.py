"""Logging, the probes of the processes without HTTP, and the queues each worker serves."""

from config.env import env_bool, env_int, env_str
from config.settings_parts.customers import CELERY_TASK_ROUTES

# --- Logging ------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    # The request id (core/api/request_id.py) goes on every line that reaches the handler.
    "filters": {"request_id": {"()": "core.api.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "kafka": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Operations: probes, metrics, traces (deploy/, docs/decisions/0030) ------------------------
# Which process this is (web, grpc, worker, beat, relay, consumer, migrate; config/roles.py): set by
# deploy/entrypoint.sh and by the process commands; decides which dependencies readiness requires.
# The processes that serve no HTTP (relay, consumers, Celery worker) answer /healthz, /readyz and
# /metrics on PROBE_PORT (off when 0); a loop silent for PROBE_LIVENESS_STALE_SECONDS is not alive.
PROBE_PORT = env_int("PROBE_PORT", 0)
PROBE_BIND = env_str("PROBE_BIND", "0.0.0.0")  # noqa: S104 (probed from outside the pod)
PROBE_LIVENESS_STALE_SECONDS = env_int("PROBE_LIVENESS_STALE_SECONDS", 120)
# Workers per queue: reports always run on REPORTS_QUEUE (shop.py); with CELERY_ROUTE_BY_APP (the
# deployments set it) payment tasks go to a queue of their own too, so a slow gateway never delays
# the other work.
CELERY_ROUTE_BY_APP = env_bool("CELERY_ROUTE_BY_APP", False)
if CELERY_ROUTE_BY_APP:
    CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "payments.*": {"queue": "payments"}}
# LOG_FORMAT=json: one JSON object per line with request_id, trace_id and span_id (core/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT == "json":
    LOGGING["formatters"]["json"] = {"()": "core.logs.JsonFormatter"}  # type: ignore[index]
    LOGGING["filters"]["trace"] = {"()": "core.logs.TraceIdFilter"}  # type: ignore[index]
    LOGGING["handlers"]["console"].update(formatter="json", filters=["trace"])  # type: ignore[index]
