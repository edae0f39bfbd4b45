"""Tasks that belong to the suite as a whole rather than to one domain."""

import socket
from typing import Any

from celery import shared_task
from django.db import connection
from django.utils import timezone

from config.models import IdempotencyRecord


@shared_task(name="suite.ping")
def ping() -> dict[str, Any]:
    """Answer from a worker with where it runs and which database it reaches.

    Operators use it to prove a worker is consuming: `celery -A config call suite.ping`.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"hostname": socket.gethostname(), "database": str(connection.settings_dict["NAME"])}


@shared_task(name="suite.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Forget idempotency keys past their replay window (beat runs it hourly)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
