"""The Celery application shared by workers, beat and the web process (which only enqueues)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("commerce")
# Every CELERY_* Django setting configures the app; see config/settings_parts/queues.py for the delivery rules.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
