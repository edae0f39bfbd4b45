"""One error body for the whole API.

Every error under /api/ answers `{"code": "<stable_snake_case>", "message": "...", "fields": {...}}`:
DRF's own exceptions, Django's Http404/PermissionDenied/ValidationError, the services' domain
errors (core/errors.py), and the 404/500 pages of paths that no DRF view serves. Clients branch
on `code`; `message` is for people; `fields` names what to fix in the request.
"""

import logging
import sys
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from core import errors
from core.metrics import count_refusal
from core.outages import Unavailable, unavailable_dependency

logger = logging.getLogger(__name__)

INVALID_MESSAGE = "The request has invalid fields."

# The kind of a domain error decides its status; the most specific class is looked up first.
STATUS_OF_DOMAIN_ERROR: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.RateLimited, status.HTTP_429_TOO_MANY_REQUESTS),
    (errors.Unauthenticated, status.HTTP_401_UNAUTHORIZED),
    (errors.Forbidden, status.HTTP_403_FORBIDDEN),
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.Unprocessable, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.InvalidInput, status.HTTP_400_BAD_REQUEST),
    (errors.DomainError, status.HTTP_400_BAD_REQUEST),
)

# DRF's default codes that read better under another name; every other code is DRF's own.
RENAMED_CODES = {
    "parse_error": "malformed_request",
    "throttled": "rate_limited",
}


class ApiError(exceptions.APIException):
    """An error of the API layer with a stable code; also what a domain error becomes."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": dict(fields or {})}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "lines.0.quantity": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        for index, item in enumerate(detail):
            if item:  # a many=True serializer reports {} for the items that were fine
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        flat[prefix] = [str(item) for item in detail]
    else:
        flat[prefix] = [str(detail)]
    return flat


def _validation_body(detail: Any) -> dict[str, Any]:
    if not isinstance(detail, Mapping):
        messages = _flatten(detail, "_")["_"] if not isinstance(detail, list) else [str(d) for d in detail]
        return error_body("invalid", " ".join(messages) or INVALID_MESSAGE)
    fields = _flatten(detail)
    general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
    return error_body("invalid", " ".join(general) or INVALID_MESSAGE, fields)


def _from_domain_error(exc: errors.DomainError) -> ApiError:
    count_refusal(exc, "rest")
    status_code = next(code for kind, code in STATUS_OF_DOMAIN_ERROR if isinstance(exc, kind))
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return ApiError(exc.message, code=exc.code, status_code=status_code, fields=exc.fields, headers=headers)


def _from_django_validation_error(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return _validation_body({field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()})
    return _validation_body([str(message) for message in exc.messages])


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every handled error in the one body shape.

    Returns None for anything unexpected, so Django logs it with its traceback and answers through
    `server_error` below (a JSON 500 under /api/)."""
    if (outage := unavailable_dependency(exc)) is not None:
        set_rollback()
        logger.warning("answered 503 %s: the %s is unavailable", outage.code, outage.dependency)
        return Response(
            error_body(outage.code, outage.message), status=503, headers={"Retry-After": str(outage.retry_after)}
        )
    if isinstance(exc, errors.DomainError):
        exc = _from_domain_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # never echo the lookup that failed
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(_from_django_validation_error(exc), status=status.HTTP_400_BAD_REQUEST)

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait)))

    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.fields)
        headers.update(exc.headers)
    elif isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc.detail)
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        body = error_body(RENAMED_CODES.get(str(code), str(code)), str(detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# --- Django's error views, JSON under /api/ ------------------------------------------------------
# Paths that no DRF view serves (an unknown /api/v1/ URL) and errors DRF does not handle (a bug,
# a request body over the size limit) still answer in the API's body shape.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", "You are not allowed to do this."), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def _unavailable_page(outage: Unavailable) -> HttpResponse:
    """503 with a stable code and Retry-After for the admin and other pages: a dependency is away
    (the request's transaction, if any, rolled back with the error)."""
    logger.warning("answered 503 %s: the %s is unavailable", outage.code, outage.dependency)
    response = HttpResponse(
        f"<!doctype html><title>Service unavailable</title><h1>Service briefly unavailable</h1>"
        f"<p>{outage.message}</p><p>Error code: {outage.code}</p>",
        status=503,
    )
    response["Retry-After"] = str(outage.retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled: an outage of a dependency (raised anywhere: a
    # middleware, the session, a plain Django view) is a 503 with its code, not a 500.
    if (outage := unavailable_dependency(sys.exc_info()[1])) is not None:
        if _is_api(request):
            return JsonResponse(
                error_body(outage.code, outage.message), status=503, headers={"Retry-After": str(outage.retry_after)}
            )
        return _unavailable_page(outage)
    if _is_api(request):
        # Django has logged the exception with its traceback and the request id already.
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)
