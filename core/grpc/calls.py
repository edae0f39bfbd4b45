"""The current gRPC call as servicers see it: who calls (set by the server (config.grpc_server) from
the `authorization: Bearer <token>` metadata), what they may do (the same staff roles and model
permissions as REST), input validated by the REST API's own serializers, and the client's
deadline as a bound on database statements."""

import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc
from django.db import connection
from rest_framework import serializers

from core import errors


@dataclass(frozen=True)
class Caller:
    user: Any  # settings.AUTH_USER_MODEL, or None when anonymous (core imports no app)
    peer: str = ""
    # The raw values of the method's `read_along_on` keys, read in the rate limit's round trip
    # (None: not read, e.g. without Redis or without a rate limit; the method reads them itself).
    read_along: list[bytes | None] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None


ANONYMOUS = Caller(user=None)
current_caller: ContextVar[Caller] = ContextVar("grpc_caller", default=ANONYMOUS)


def caller() -> Caller:
    return current_caller.get()


_read_along: dict[str, Callable[[Any], list[str]]] = {}


def read_along_on(method: str, keys: Callable[[Any], list[str]]) -> None:
    """For calls of `method` (full name, "/package.Service/Method"), `keys(request)` names raw
    Redis keys the servicer reads first (a cache entry): the server's rate limit reads them in
    its own round trip and the servicer finds their values in `caller().read_along`, as the
    REST views do with `request.read_along` (docs/decisions/0043)."""
    _read_along[method] = keys


def read_along_keys(method: str, request: Any) -> list[str]:
    keys = _read_along.get(method)
    if keys is None:
        return []
    try:
        return keys(request)
    except Exception:  # the servicer refuses bad input itself, after the rate limit
        return []


def require_user() -> Any:
    """The signed-in user; UNAUTHENTICATED (`not_authenticated`) for anonymous calls."""
    user = caller().user
    if user is None:
        raise errors.Unauthenticated("Send `authorization: Bearer <token>` metadata.", code="not_authenticated")
    return user


def has_staff_permission(user: Any, permission: str) -> bool:
    """What core.api.permissions.StaffModelPermission checks: staff whose role grants it."""
    return bool(user is not None and user.is_staff and user.has_perm(permission))


def require_staff_permission(permission: str) -> Any:
    user = require_user()
    if not has_staff_permission(user, permission):
        raise errors.Forbidden()
    return user


def validated(
    serializer_class: type[serializers.Serializer[Any]], data: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The REST API's validation of the same input, its messages as field violations named by
    the request's fields (`names` maps a serializer field to the message field path)."""
    serializer = serializer_class(data=dict(data))
    if not serializer.is_valid():
        names = names or {}
        fields = {names.get(name, name): messages for name, messages in _flat(serializer.errors).items()}
        raise errors.InvalidInput(fields=fields)
    return dict(serializer.validated_data)


def _flat(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            flat.update(_flat(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flat(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: [str(item) for item in (detail if isinstance(detail, list) else [detail])]}


class DeadlineBound:
    """A connection execute_wrapper for one call: caps the statements of the call at the time the
    client has left (PostgreSQL's statement_timeout, set on the cursor before the call's first
    statement and again at most every second, so long calls such as streams keep it current), and
    refuses to start a statement once the deadline has passed. A call that runs no query costs
    nothing; the server resets the timeout after a call that set it."""

    RESET_AFTER = 1.0
    # A call without a deadline reports an enormous time remaining (grpcio's "infinite future"),
    # which PostgreSQL refuses as a timeout: beyond a day there is no deadline to bound.
    NO_DEADLINE_BEYOND_SECONDS = 24 * 60 * 60

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context
        self.set_at: float | None = None

    def __call__(self, execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
        remaining = self.context.time_remaining()
        if remaining is not None and remaining > self.NO_DEADLINE_BEYOND_SECONDS:
            remaining = None
        if remaining is not None and context["connection"].vendor == "postgresql":
            if remaining <= 0:
                raise DeadlineExceeded()
            now = time.monotonic()
            if self.set_at is None or now - self.set_at >= self.RESET_AFTER:
                context["cursor"].cursor.execute(f"SET statement_timeout = {max(1, int(remaining * 1000))}")
                self.set_at = now
        return execute(sql, params, many, context)

    def reset(self) -> None:
        if self.set_at is not None and connection.connection is not None and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")


class DeadlineExceeded(Exception):
    """The client's deadline ran out during the call (the server answers DEADLINE_EXCEEDED)."""
