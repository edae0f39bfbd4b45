"""Idempotency-Key support for API endpoints that create money, stock or order effects.

    class PlaceOrderView(APIView):
        @idempotent(required=True)
        def post(self, request): ...

The first request with a key claims it (a committed row, so concurrent repeats see it), runs in
one transaction with the storing of its response, and every repeat with the same key and body
gets that response again for IDEMPOTENCY_TTL_HOURS. A repeat while the first still runs gets 409;
the same key with a different body gets 422. Responses of 5xx, 409 and 429, and exceptions, are
not stored: the effect rolled back, so the client may retry with the same key.
"""

import contextlib
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from enum import Enum
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.exceptions import error_body
from core.models import IdempotencyRecord, IdempotencyState

HEADER = "Idempotency-Key"


def key_parameter(description: str, *, required: bool = True) -> OpenApiParameter:
    """The header as the OpenAPI schema shows it on an idempotent endpoint."""
    return OpenApiParameter(
        HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=required, description=description
    )


REPLAY_HEADER = "Idempotent-Replayed"
TRANSIENT_STATUSES = {409, 429}

Handler = TypeVar("Handler", bound=Callable[..., Response])


def error(status: int, code: str, message: str) -> Response:
    return Response(error_body(code, message), status=status)


def request_fingerprint(request: Request) -> str:
    """The method, path and body; JSON bodies compare by content, not by key order or spacing."""
    body: bytes = request.body
    if request.content_type and request.content_type.startswith("application/json") and body:
        # Malformed JSON is fingerprinted as sent; the view will refuse it anyway.
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _scope(request: Request) -> str:
    client = f"user:{request.user.pk}" if request.user and request.user.is_authenticated else "anonymous"
    return f"{client} {request.method} {request.path}"[:300]


class ClaimOutcome(Enum):
    CLAIMED = "claimed"  # this call runs: the record is ours (new, or taken over from a dead one)
    COMPLETED = "completed"  # an earlier call with this key and request finished: replay it
    REUSED = "reused"  # the key was used for a different request
    IN_PROGRESS = "in_progress"  # an earlier call with this key is still running
    CONTENDED = "contended"  # other calls kept claiming and dropping the key: try again


def claim_key(key: str, scope: str, fingerprint: str, user: Any) -> tuple[ClaimOutcome, IdempotencyRecord | None]:
    """Claim `key` in `scope` for a request with this fingerprint; the one rule the REST API and
    the gRPC services share. The record comes back with CLAIMED and COMPLETED."""
    now = timezone.now()
    lock = timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    for _ in range(3):
        try:
            with transaction.atomic():
                return ClaimOutcome.CLAIMED, IdempotencyRecord.objects.create(
                    key=key,
                    scope=scope,
                    user=user,
                    request_fingerprint=fingerprint,
                    locked_until=now + lock,
                    expires_at=now + timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS),
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None:
            continue  # expired and purged in between: claim again
        if record.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=record.pk, expires_at__lte=now).delete()
            continue
        if record.request_fingerprint != fingerprint:
            return ClaimOutcome.REUSED, None
        if record.state == IdempotencyState.COMPLETED:
            return ClaimOutcome.COMPLETED, record
        # Still in progress: either running now, or its process died and the lock ran out.
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, state=IdempotencyState.IN_PROGRESS, locked_until__lt=now
        ).update(locked_until=now + lock)
        if taken:
            record.refresh_from_db()
            return ClaimOutcome.CLAIMED, record
        return ClaimOutcome.IN_PROGRESS, None
    return ClaimOutcome.CONTENDED, None


def _claim(request: Request, key: str) -> IdempotencyRecord | Response:
    """Claim the key for this request, or answer with what a repeat deserves."""
    user = request.user if request.user and request.user.is_authenticated else None
    outcome, record = claim_key(key, _scope(request), request_fingerprint(request), user)
    if outcome is ClaimOutcome.CLAIMED and record is not None:
        return record
    if outcome is ClaimOutcome.COMPLETED and record is not None:
        replay = Response(record.response_body, status=record.response_status)
        for name, value in record.response_headers.items():
            replay[name] = value
        replay[REPLAY_HEADER] = "true"
        return replay
    if outcome is ClaimOutcome.REUSED:
        return error(
            422, "idempotency_key_reused", f"The {HEADER} was already used for a different request; use a new key."
        )
    if outcome is ClaimOutcome.CONTENDED:
        return error(409, "idempotency_request_in_progress", f"The {HEADER} is contended; retry shortly.")
    return error(
        409, "idempotency_request_in_progress", f"A request with this {HEADER} is still being processed; retry shortly."
    )


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyState.IN_PROGRESS).delete()


class _NotStored(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def idempotent(*, required: bool = False) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER, "").strip()
            if not key:
                if required:
                    return error(400, "idempotency_key_required", f"This request needs an {HEADER} header.")
                return handler(view, request, *args, **kwargs)
            if len(key) > 255 or not key.isprintable():
                return error(400, "idempotency_key_invalid", f"The {HEADER} must be 1 to 255 printable characters.")
            claimed = _claim(request, key)
            if isinstance(claimed, Response):
                return claimed
            try:
                with transaction.atomic():
                    response = handler(view, request, *args, **kwargs)
                    if response.status_code >= 500 or response.status_code in TRANSIENT_STATUSES:
                        raise _NotStored(response)
                    headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
                    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
                    updated = IdempotencyRecord.objects.filter(
                        pk=claimed.pk, state=IdempotencyState.IN_PROGRESS, locked_until=claimed.locked_until
                    ).update(
                        state=IdempotencyState.COMPLETED,
                        response_status=response.status_code,
                        response_body=body,
                        response_headers=headers,
                    )
                    if not updated:
                        # Our lock ran out and another request took the key over: let it win.
                        raise _NotStored(
                            error(
                                409,
                                "idempotency_request_in_progress",
                                f"A request with this {HEADER} is still being processed.",
                            )
                        )
                    return response
            except _NotStored as not_stored:
                _release(claimed)
                return not_stored.response
            except BaseException:
                _release(claimed)
                raise

        wrapper.idempotency_key_required = required  # type: ignore[attr-defined]  # read by the schema
        return wrapper  # type: ignore[return-value]

    return decorate
