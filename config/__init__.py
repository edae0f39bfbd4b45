"""Project configuration: settings, URLs, the Celery app, the gRPC server, the database backend."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
