"""Page tokens for List RPCs: opaque to clients, valid only for the query they were issued for.

A token carries the offset of the next page and a digest of the request's filters, so a client
that changes its filters between pages gets INVALID_ARGUMENT instead of a page of another listing.
"""

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

from core import errors

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int


def _digest(scope: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps(list(scope), default=str, sort_keys=True).encode()).hexdigest()[:16]


def _invalid(message: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, fields={"page_token": [message]}, code="invalid_page_token")


def page_size_of(requested: int) -> int:
    if requested < 0:
        raise errors.InvalidInput(fields={"page_size": ["Must not be negative."]})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def offset_of(token: str, scope: Sequence[Any]) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        offset, digest = int(data["o"]), str(data["s"])
    except (ValueError, KeyError, TypeError):
        raise _invalid("This page token is not one of ours.") from None
    if digest != _digest(scope) or offset < 0:
        raise _invalid("This page token belongs to another query; start again without one.")
    return offset


def token_for(offset: int, scope: Sequence[Any]) -> str:
    raw = json.dumps({"o": offset, "s": _digest(scope)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def paginate(
    rows: "QuerySet[Any] | Sequence[Any]", *, page_size: int, page_token: str, scope: Sequence[Any]
) -> Page[Any]:
    """One page of an ordered queryset (or list); `scope` names the query (filters and sort)."""
    size, offset = page_size_of(page_size), offset_of(page_token, scope)
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    items = list(rows[offset : offset + size])
    following = offset + size
    return Page(items=items, next_page_token=token_for(following, scope) if following < total else "", total_size=total)
