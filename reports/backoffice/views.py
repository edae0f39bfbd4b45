"""The work queue pages of the back office (admin pages, behind the admin's sign-in): a queue's
rows with their actions, and the confirmation page that runs one action."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core import audit
from core.errors import DomainError
from events.services import DeadLetterRetryFailed
from reports.backoffice.queues import QUEUES, Queue


class ConfirmForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, widget=forms.TextInput(attrs={"size": 60}))


def _queue(request: HttpRequest, key: str) -> Queue:
    queue = QUEUES.get(key)
    if queue is None:
        raise Http404("There is no such work queue.")
    if not request.user.has_perm(queue.permission):
        raise PermissionDenied
    return queue


def _context(request: HttpRequest, queue: Queue, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "queue": queue, "title": queue.title, **extra}


def queue_view(request: HttpRequest, key: str) -> HttpResponse:
    queue = _queue(request, key)
    groups = [
        {
            "group": group,
            "rows": group.rows(),
            "actions": [queue.actions[name] for name in group.actions],
        }
        for group in queue.groups
    ]
    return TemplateResponse(request, "admin/backoffice/queue.html", _context(request, queue, groups=groups))


def action_view(request: HttpRequest, key: str, action: str, pk: int) -> HttpResponse:
    queue = _queue(request, key)
    chosen = queue.actions.get(action)
    if chosen is None:
        raise Http404("There is no such action.")
    before = queue.snapshot(pk)
    if before is None:
        raise Http404("It is no longer there.")
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        with transaction.atomic():
            try:
                done, level, outcome = chosen.run(request, pk, reason), messages.SUCCESS, "done"
            except (DomainError, DeadLetterRetryFailed) as exc:
                done, level, outcome = f"Not done: {getattr(exc, 'message', str(exc))}", messages.ERROR, "refused"
            after = queue.snapshot(pk) or {}
            audit.record(
                action=f"{queue.key}.{chosen.key}",
                object_type=queue.object_type,
                object_id=pk,
                object_repr=queue.describe(pk),
                changes={
                    name: [before.get(name), after.get(name)] for name in before if before.get(name) != after.get(name)
                },
                note=f"{outcome}: {done}" + (f" (reason: {reason})" if reason else ""),
                request=request,
            )
        messages.add_message(request, level, done)
        return HttpResponseRedirect(reverse("backoffice:queue", args=[queue.key]))
    context = _context(
        request,
        queue,
        action=chosen,
        pk=pk,
        target=queue.describe(pk),
        form=form,
        title=f"{chosen.label}: {queue.describe(pk)}?",
    )
    return TemplateResponse(request, "admin/backoffice/confirm.html", context)
