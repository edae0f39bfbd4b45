"""Celery tasks of notifications, on the `notifications` queue (CELERY_TASK_ROUTES); thin."""

from typing import Any

from celery import Task, shared_task

from notifications import services


@shared_task(bind=True, name="notifications.send_message", max_retries=None)
def send_message(self: Task[Any, Any], message_id: int) -> str:
    """Send one recorded message; the service decides how long to wait and when to give up."""
    try:
        return services.deliver_message(message_id)
    except services.TemporarySendFailure as exc:
        if self.request.is_eager and self.app.conf.task_eager_propagates:
            # The embedded run: no worker comes back later, and a retry would raise out of the
            # commit hook that queued the task; the next attempts run now, until sent or failed.
            return _attempt_until_settled(message_id)
        raise self.retry(countdown=exc.retry_in) from exc


def _attempt_until_settled(message_id: int) -> str:
    while True:
        try:
            return services.deliver_message(message_id)
        except services.TemporarySendFailure:
            continue


@shared_task(name="notifications.sweep_stale_messages")
def sweep_stale_messages() -> list[int]:
    """Queue lost messages again and report unconfirmed ones (beat, every 5 minutes)."""
    return list(services.sweep_stale_messages())
