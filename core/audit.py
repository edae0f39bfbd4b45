"""The audit trail: every change a member of staff makes, in the admin or the staff API, with who,
when, what changed (before and after) and from where (channel, IP, path, request id).

`AuditMiddleware` keeps the request in a context variable for its duration. Model signals then
record each row a signed-in staff member's request creates, changes or deletes, whichever
adapter and service wrote it: the admin's forms, its actions, the staff API's views (DRF sets the
authenticated user on the Django request, so token-authenticated calls are seen as well). The
entry is written in the transaction of the change, so it exists if and only if the change
committed. Named operations that are not one row (a work-queue action: "retry this payment
transaction") call `record()` themselves. Customers' own requests are not staff changes and are
not recorded; neither are the records the platform keeps on its own (sessions, the outbox, the
admin's log, idempotency records). Changes made in bulk by one UPDATE statement (stock levels,
bulk activation) do not pass through model signals: their services keep their own ledgers with the
actor (the stock ledger), and the admin action that triggers them is recorded by the action.

The rows are immutable in the database itself (a trigger refuses UPDATE and DELETE).
"""

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from core.api.request_id import current_request_id

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# Records the platform keeps by itself, not staff changes.
IGNORED_APPS = frozenset({"sessions", "admin", "contenttypes", "events", "django_celery_beat_internal"})
IGNORED_MODELS = frozenset({"core.auditentry", "core.idempotencyrecord", "accounts.accesstoken"})
# Fields whose change alone is not worth an entry (bookkeeping), and fields never shown.
NOISE_FIELDS = frozenset({"last_login", "updated_at", "version", "search_vector"})
SECRET_FIELDS = frozenset({"password"})
HIDDEN = "(hidden)"


class AuditMiddleware:
    """After AuthenticationMiddleware: the request is what the signals read the actor from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _staff_request() -> HttpRequest | None:
    request = _request.get()
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_staff:
        return None
    return request


def _channel(request: HttpRequest) -> str:
    return "admin" if request.path.startswith("/admin/") else "api"


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _audited(model: type[models.Model]) -> bool:
    return model._meta.app_label not in IGNORED_APPS and _label(model) not in IGNORED_MODELS


def _plain(value: Any) -> Any:
    """A JSON value that reads like the admin shows it."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    return str(value)


def _values(instance: models.Model, names: Iterable[str] | None = None) -> dict[str, Any]:
    wanted = set(names) if names is not None else None
    values = {}
    for field in instance._meta.concrete_fields:
        if wanted is not None and field.name not in wanted and field.attname not in wanted:
            continue
        values[field.name] = _plain(getattr(instance, field.attname))
    return values


def _shown(name: str, value: Any) -> Any:
    return HIDDEN if name in SECRET_FIELDS else value


def record(
    *,
    action: str,
    object_type: str,
    object_id: object = "",
    object_repr: str = "",
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    actor: Any = None,
) -> Any:
    """Write one entry; the actor and where from come from the current request unless given.
    Call inside the transaction of the change it describes."""
    from core.models import AuditEntry

    request = request or _request.get()
    user = actor or (getattr(request, "user", None) if request is not None else None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=user,
        actor_email=getattr(user, "email", "") or "",
        channel=_channel(request) if request is not None else "command",
        ip_address=_client_ip(request) if request is not None else None,
        path=request.path[:300] if request is not None else "",
        request_id=current_request_id.get() if request is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        changes={name: [_plain(before), _plain(after)] for name, (before, after) in (changes or {}).items()},
        note=note[:300],
    )


def _before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _audited(sender) or _staff_request() is None:
        return
    if instance._state.adding or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    names = [field.attname for field in sender._meta.concrete_fields]
    row = sender._base_manager.filter(pk=instance.pk).values(*names).first()
    if row is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    by_attname = {field.attname: field.name for field in sender._meta.concrete_fields}
    instance._audit_before = {by_attname[key]: _plain(value) for key, value in row.items()}  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    request = _staff_request()
    if raw or not _audited(sender) or request is None:
        return
    before = getattr(instance, "_audit_before", None)
    after = _values(instance, update_fields)
    if created or before is None:
        changes = {name: [None, _shown(name, value)] for name, value in after.items() if value not in (None, "")}
        action = "create"
    else:
        changes = {
            name: [_shown(name, before.get(name)), _shown(name, value)]
            for name, value in after.items()
            if before.get(name) != value
        }
        if not set(changes) - NOISE_FIELDS:
            return
        action = "update"
    record(
        action=action,
        object_type=_label(sender),
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
        request=request,
    )


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    request = _staff_request()
    if not _audited(sender) or request is None:
        return
    values = _values(instance)
    record(
        action="delete",
        object_type=_label(sender),
        object_id=instance.pk,
        object_repr=str(instance),
        changes={name: [_shown(name, value), None] for name, value in values.items() if value not in (None, "")},
        request=request,
    )


def _relations_changed(
    sender: Any, instance: models.Model, action: str, model: type[models.Model], pk_set: Any, **kwargs: Any
) -> None:
    request = _staff_request()
    if action not in ("post_add", "post_remove", "post_clear") or request is None:
        return
    if not _audited(type(instance)):
        return
    field = next(
        (f.name for f in type(instance)._meta.many_to_many if f.remote_field.through is sender),
        model._meta.verbose_name_plural,
    )
    names = sorted(str(obj) for obj in model._base_manager.filter(pk__in=pk_set or []))
    before, after = (names, None) if action != "post_add" else (None, names)
    record(
        action=action.removeprefix("post_"),
        object_type=_label(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance),
        changes={str(field): [before, after]},
        request=request,
    )


def connect() -> None:
    """Called once by core's AppConfig.ready()."""
    pre_save.connect(_before_save, dispatch_uid="core.audit.before_save")
    post_save.connect(_after_save, dispatch_uid="core.audit.after_save")
    post_delete.connect(_after_delete, dispatch_uid="core.audit.after_delete")
    m2m_changed.connect(_relations_changed, dispatch_uid="core.audit.relations")
