"""Back office for events: the outbox browser and the dead letters with a retry action."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from google.protobuf.json_format import MessageToJson

from core.admin.readonly import ReadOnlyAdmin
from events import services
from events.contracts import InvalidEventPayload, UnknownEventType, unpack_envelope
from events.models import DeadLetter, OutboxEvent, ProcessedEvent
from events.selectors import outbox_backlog


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("published", "Published")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> QuerySet[OutboxEvent]:
        if self.value() == "pending":
            return queryset.filter(published_at__isnull=True)
        if self.value() == "published":
            return queryset.filter(published_at__isnull=False)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    AGES = {"5m": timedelta(minutes=5), "1h": timedelta(hours=1), "1d": timedelta(days=1)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("5m", "Older than 5 minutes"), ("1h", "Older than an hour"), ("1d", "Older than a day")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> QuerySet[OutboxEvent]:
        age = self.AGES.get(self.value() or "")
        return queryset.filter(occurred_at__lt=timezone.now() - age) if age else queryset


def decoded(payload: bytes | memoryview) -> str:
    try:
        envelope, message = unpack_envelope(bytes(payload))
    except (InvalidEventPayload, UnknownEventType) as exc:
        return f"(cannot decode: {exc})"
    return f"{MessageToJson(envelope, indent=2)}\n\npayload:\n{MessageToJson(message, indent=2)}"


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "occurred_at",
        "state",
        "publish_attempts",
        "short_error",
    )
    list_filter = (StateFilter, AgeFilter, "event_type", "aggregate_type")
    search_fields = ("=event_id", "=aggregate_id")
    date_hierarchy = "occurred_at"
    ordering = ("-id",)
    fields = (
        "event_id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "occurred_at",
        "published_at",
        "publish_attempts",
        "last_error",
        "envelope",
    )
    readonly_fields = fields
    show_full_result_count = False  # no COUNT(*) over a big outbox on every page

    @admin.display(description="state")
    def state(self, obj: OutboxEvent) -> str:
        return "published" if obj.is_published else "pending"

    @admin.display(description="last error")
    def short_error(self, obj: OutboxEvent) -> str:
        return obj.last_error[:80]

    @admin.display(description="envelope")
    def envelope(self, obj: OutboxEvent) -> str:
        return decoded(obj.payload)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        backlog = outbox_backlog()
        title = f"Outbox: {backlog['pending']} pending, relay lag {backlog['oldest_pending_age_seconds']:.0f} s"
        return super().changelist_view(request, {**(extra_context or {}), "title": title})


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "consumer_group",
        "event_type",
        "error_code",
        "status",
        "attempts",
        "created_at",
        "topic",
        "partition",
        "offset",
    )
    list_filter = ("status", "consumer_group", "error_code", "event_type")
    search_fields = ("=event_id", "error")
    ordering = ("-id",)
    actions = ("retry",)
    fields = (
        "consumer_group",
        "topic",
        "partition",
        "offset",
        "event_id",
        "event_type",
        "error_code",
        "error",
        "attempts",
        "status",
        "created_at",
        "retried_at",
        "headers",
        "message",
    )
    readonly_fields = fields

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("events.change_deadletter")

    @admin.display(description="message")
    def message(self, obj: DeadLetter) -> str:
        return decoded(obj.value)

    @admin.action(description="Retry the selected dead letters now", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        retried = 0
        for dead_letter_id in queryset.values_list("id", flat=True):
            try:
                services.retry_dead_letter(dead_letter_id)
                retried += 1
            except services.DeadLetterRetryFailed as exc:
                self.message_user(request, f"Dead letter {dead_letter_id} failed again: {exc}", messages.ERROR)
        if retried:
            self.message_user(request, f"{retried} dead letter(s) processed.", messages.SUCCESS)


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ("consumer_group", "event_type", "event_id", "processed_at")
    list_filter = ("consumer_group", "event_type")
    search_fields = ("=event_id",)
    show_full_result_count = False
