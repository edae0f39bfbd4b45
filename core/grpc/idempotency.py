"""Idempotency keys for gRPC writes, in the same table and with the same rules as the REST
API's Idempotency-Key (core/idempotency.py): the first call with a key claims it, runs in one
transaction with the storing of its response, and repeats with the same key and request get that
response again; a repeat while the first still runs is ABORTED (`idempotency_request_in_progress`),
the same key with another request ALREADY_EXISTS (`idempotency_key_reused`). A refused call stores
nothing, so the client may retry it with the same key.

Keys belong to one user and one method: `user:<id> grpc /commerce.inventory.v1.InventoryService/...`.
"""

import base64
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from google.protobuf.message import Message

from core import errors
from core.idempotency import ClaimOutcome, claim_key
from core.models import IdempotencyRecord, IdempotencyState

M = TypeVar("M", bound=Message)


def _fingerprint(method: str, request: Message) -> str:
    body = request.SerializeToString(deterministic=True)
    return hashlib.sha256(method.encode() + b"\0" + body).hexdigest()


def _in_progress() -> errors.Conflict:
    return errors.Conflict(
        "A call with this idempotency key is still being processed; retry shortly.",
        code="idempotency_request_in_progress",
    )


def _claim(key: str, scope: str, fingerprint: str, user: Any) -> IdempotencyRecord | bytes:
    """The claimed record, or the stored response of an earlier call with this key."""
    outcome, record = claim_key(key, scope, fingerprint, user)
    if outcome is ClaimOutcome.CLAIMED and record is not None:
        return record
    if outcome is ClaimOutcome.COMPLETED and record is not None:
        return base64.b64decode((record.response_body or {})["grpc"])
    if outcome is ClaimOutcome.REUSED:
        raise errors.Unprocessable(
            "This idempotency key was already used for a different request; use a new key.",
            fields={"idempotency_key": ["Already used for a different request."]},
            code="idempotency_key_reused",
        )
    raise _in_progress()


def idempotent_call(
    *, key: str, method: str, request: Message, user: Any, response_type: type[M], run: Callable[[], M]
) -> M:
    """Run `run` once per key; `request` is the whole request message, key included."""
    key = key.strip()
    if not key:
        raise errors.InvalidInput(
            "This call needs an idempotency key.",
            fields={"idempotency_key": ["Required: 1 to 255 printable characters."]},
            code="idempotency_key_required",
        )
    if len(key) > 255 or not key.isprintable():
        raise errors.InvalidInput(
            fields={"idempotency_key": ["1 to 255 printable characters."]}, code="idempotency_key_invalid"
        )
    claimed = _claim(key, f"user:{user.pk} grpc {method}"[:300], _fingerprint(method, request), user)
    if isinstance(claimed, bytes):
        return response_type.FromString(claimed)
    try:
        with transaction.atomic():
            response = run()
            updated = IdempotencyRecord.objects.filter(
                pk=claimed.pk,
                state=IdempotencyState.IN_PROGRESS,
                locked_until=claimed.locked_until,
            ).update(
                state=IdempotencyState.COMPLETED,
                response_status=200,
                response_body={"grpc": base64.b64encode(response.SerializeToString()).decode()},
            )
            if not updated:  # our lock ran out and another call took the key over: let it win
                raise _in_progress()
            return response
    except BaseException:
        IdempotencyRecord.objects.filter(pk=claimed.pk, state=IdempotencyState.IN_PROGRESS).delete()
        raise
