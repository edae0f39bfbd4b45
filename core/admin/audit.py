"""The audit trail in the admin: searchable by who, what and where from; nobody can add, change
or delete an entry here (and the database refuses it anyway). Seen by superusers and whoever is
granted `core.view_auditentry`."""

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from core.admin.readonly import ReadOnlyAdmin
from core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_email", "action", "object_type", "object_id", "object_repr", "channel", "ip_address")
    list_filter = ("channel", "action", "object_type", "at")
    search_fields = ("actor_email", "object_type", "object_id", "object_repr", "note", "request_id", "path")
    date_hierarchy = "at"
    list_per_page = 50
    fields = (
        "at",
        "actor_email",
        "channel",
        "ip_address",
        "path",
        "request_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "note",
        "what_changed",
    )
    readonly_fields = fields

    @admin.display(description="what changed (before → after)")
    def what_changed(self, entry: AuditEntry) -> Any:
        rows = (
            (name, json.dumps(pair[0], ensure_ascii=False), json.dumps(pair[1], ensure_ascii=False))
            for name, pair in sorted(entry.changes.items())
        )
        body = format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            '<table class="audit-changes"><tr><th></th><th>before</th><th>after</th></tr>{}</table>', body
        )
