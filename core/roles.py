"""Which process this is, and which dependencies it cannot work without.

Every process of the image is started by `deploy/entrypoint.sh`, which sets `PROCESS_ROLE`
(web, grpc, worker, beat, relay, consumer, migrate); the long-running management commands set
it too when it is unset, so `make relay` behaves like the container. Readiness fails only on a
dependency the role requires: the web and gRPC processes keep serving while Kafka is down (the
outbox keeps every event), the relay and the consumers cannot do anything without it. Every
failing dependency is still named in the probe's body (`degraded`).
"""

import os

from django.core.exceptions import ImproperlyConfigured

WEB, GRPC, WORKER, BEAT, RELAY, CONSUMER, MIGRATE = "web", "grpc", "worker", "beat", "relay", "consumer", "migrate"

# "cache" is what config/health.py checks instead of "redis" in the embedded run (no Redis URL).
# The web and gRPC processes serve without Redis (a cache miss, a fail-open rate limit, a
# database lock; docs/decisions/0060), so Redis only degrades them: taking every web pod out of
# service for it would turn a degraded shop into a closed one.
REQUIRED_CHECKS: dict[str, frozenset[str]] = {
    WEB: frozenset({"database", "cache"}),
    GRPC: frozenset({"database", "cache"}),
    WORKER: frozenset({"database", "redis", "cache"}),  # Redis is the Celery broker
    BEAT: frozenset({"database", "redis", "cache"}),
    RELAY: frozenset({"database", "kafka"}),
    CONSUMER: frozenset({"database", "kafka"}),
    MIGRATE: frozenset({"database"}),
}


def current_role() -> str:
    role = os.environ.get("PROCESS_ROLE", "").strip() or WEB
    if role not in REQUIRED_CHECKS:
        raise ImproperlyConfigured(f"PROCESS_ROLE must be one of {', '.join(REQUIRED_CHECKS)}, got {role!r}")
    return role


def claim_role(role: str) -> str:
    """Called by a process's command: the role from the environment wins (the entrypoint set it),
    else this one; exported, so forked children and probes see the same."""
    os.environ.setdefault("PROCESS_ROLE", role)
    return current_role()


def required_checks(role: str) -> frozenset[str]:
    return REQUIRED_CHECKS[role]
