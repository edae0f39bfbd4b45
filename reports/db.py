"""Which database the reports read: the read replica when one is configured, else the primary."""

from django.conf import settings

REPLICA = "replica"


def reports_database() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"
