"""Back office for notifications: every message the shop sent, with its status, for support; the
customers' contact preferences; sending a failed or unconfirmed message again."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin.readonly import ReadOnlyAdmin
from core.errors import DomainError
from notifications import services
from notifications.models import ContactPreference, Message

HIDDEN = "(hidden: the message holds a link that acts for the customer)"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient",
        "order_ref",
        "language",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind", "language")
    search_fields = ("=recipient", "=order_ref", "=event_id", "subject")
    date_hierarchy = "created_at"
    actions = ["send_again"]
    fields = (
        "kind", "channel", "recipient", "user", "order_ref", "language", "status", "attempts", "last_error",
        "created_at", "updated_at", "sent_at", "event_id", "subject", "text", "html",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description="text")
    def text(self, message: Message) -> str:
        return (
            HIDDEN
            if message.sensitive
            else format_html("<pre style='white-space:pre-wrap'>{}</pre>", message.body_text)
        )

    @admin.display(description="HTML")
    def html(self, message: Message) -> str:
        if message.sensitive or not message.body_html:
            return HIDDEN if message.sensitive else "-"
        # Shown in a sandboxed frame: the mail's markup never runs in the admin's page.
        return format_html(
            "<iframe sandbox srcdoc='{}' style='width:100%;height:480px;border:1px solid #ccc'></iframe>",
            message.body_html,
        )

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_message")

    @admin.action(description="Send again (failed or unconfirmed messages)", permissions=["send_again"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        queued, refused = 0, 0
        for message_id in queryset.values_list("pk", flat=True):
            try:
                services.send_again(message_id)
                queued += 1
            except DomainError:
                refused += 1
        if queued:
            self.message_user(request, f"{queued} message(s) queued again.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} message(s) not sent again: only failed or unconfirmed ones without a sign-in link.",
                messages.WARNING,
            )


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin[ContactPreference]):
    list_display = ("user", "language", "sms", "updated_at")
    list_filter = ("language", "sms")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    readonly_fields = ("updated_at",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "language":
            return forms.ChoiceField(choices=settings.LANGUAGES, label="language")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ContactPreference, form: Any, change: bool) -> None:
        services.set_preference(obj.user_id, language=obj.language, sms=obj.sms)
