"""`{% backoffice_dashboard %}`: the admin home's sections for the signed-in person."""

from typing import Any

from django import template
from django.utils import timezone

from reports.backoffice.dashboard import sections_for
from reports.backoffice.queues import QUEUES

register = template.Library()


@register.inclusion_tag("admin/backoffice/_dashboard.html", takes_context=True)
def backoffice_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    now = timezone.now()
    sections = sections_for(request.user, now)
    queues = [queue for queue in QUEUES.values() if request.user.has_perm(queue.permission)]
    return {"sections": sections, "queues": queues, "now": now}
