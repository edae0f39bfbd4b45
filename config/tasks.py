"""Tasks that belong to the suite as a whole rather than to one domain."""

import socket
from typing import Any

from celery import shared_task
from django.db import connection


@shared_task(name="suite.ping")
def ping() -> dict[str, Any]:
    """Answer from a worker with where it runs and which database it reaches.

    Operators use it to prove a worker is consuming: `celery -A config call suite.ping`.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"hostname": socket.gethostname(), "database": str(connection.settings_dict["NAME"])}
