"""Domain errors: how a service says "no" without knowing about HTTP.

Services raise a subclass of `DomainError` with a stable snake_case `code` and a message a person
can read. The kind of refusal is the base class, and only the API layer (core/api/exceptions.py)
turns that kind into a status code, so the same service serves the REST API, the admin, gRPC and
Celery alike. This module imports nothing from the project: every app may use it.
"""

from collections.abc import Mapping, Sequence
from typing import ClassVar


class DomainError(Exception):
    """A business rule refused the request; nothing was changed."""

    code: ClassVar[str] = "domain_error"
    default_message: ClassVar[str] = "The request was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        # Per-field messages, for errors a form or client can show next to the field.
        self.fields: dict[str, list[str]] = {name: list(messages) for name, messages in (fields or {}).items()}
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may narrow the class's code


class InvalidInput(DomainError):
    """The input breaks a rule that a serializer cannot know (e.g. an email that is taken)."""

    code = "invalid"
    default_message = "The request has invalid fields."


class NotFound(DomainError):
    """The object does not exist, or is not the caller's to see (never say which)."""

    code = "not_found"
    default_message = "Not found."


class Unauthenticated(DomainError):
    """The caller's credentials are wrong or missing (a failed sign-in)."""

    code = "not_authenticated"
    default_message = "Authentication failed."


class Forbidden(DomainError):
    code = "permission_denied"
    default_message = "You are not allowed to do this."


class Conflict(DomainError):
    """The change cannot be applied to the object's current state."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class StaleVersion(Conflict):
    """Optimistic locking: the caller edited a version that someone else has changed since."""

    code = "stale_version"
    default_message = "Someone else changed this since you read it; reload and try again."

    def __init__(self, message: str | None = None, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class Unprocessable(DomainError):
    """Well-formed but unusable, e.g. an idempotency key reused with a different body."""

    code = "unprocessable"
    default_message = "The request cannot be processed."


class RateLimited(DomainError):
    """Too many attempts of something a service counts itself (failed sign-ins)."""

    code = "rate_limited"
    default_message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
