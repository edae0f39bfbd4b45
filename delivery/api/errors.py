"""One error body for the delivery endpoints: `{"code", "message", "fields"}`.

DeliveryError carries its code and status. DRF's own exceptions (401, 403, 404, invalid input) are
given the same shape here until the API-wide exception handler is switched on; a body that
already has that shape is left alone.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from delivery.errors import DeliveryError

INVALID_MESSAGE = "The request has invalid fields."


def error_response(exc: DeliveryError) -> Response:
    return Response({"code": exc.code, "message": exc.message, "fields": exc.fields}, status=exc.http_status)


def _field_messages(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_field_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]}


class DeliveryAPIView(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DeliveryError):
            return error_response(exc)
        response = super().handle_exception(exc)
        data = response.data
        if isinstance(data, dict) and {"code", "message"} <= data.keys():
            return response
        if isinstance(exc, exceptions.ValidationError):
            response.data = {"code": "invalid", "message": INVALID_MESSAGE, "fields": _field_messages(exc.detail)}
        elif isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            response.data = {"code": codes if isinstance(codes, str) else "error", "message": str(exc.detail),
                             "fields": {}}
        return response
