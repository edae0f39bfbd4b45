"""The OpenAPI schema tells the truth about errors: every operation lists the error statuses the
server can answer with, each with the one error body (and Retry-After on 429)."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, is_list_serializer
from rest_framework.permissions import AllowAny

from core.api.serializers import ErrorSerializer

BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        error = {"application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}}
        responses = operation.setdefault("responses", {})
        for status_code, description in self._error_statuses(operation).items():
            entry: dict[str, Any] = {"description": description, "content": error}
            if status_code == 429:
                entry["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
                }
            responses.setdefault(str(status_code), entry)
        return operation

    def _is_public(self) -> bool:
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _error_statuses(self, operation: dict[str, Any]) -> dict[int, str]:
        statuses: dict[int, str] = {}
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if self.method in BODY_METHODS or has_query:
            statuses[400] = "Invalid request: `fields` names what to fix."
        # Even public endpoints answer 401 to a token that is wrong or expired.
        statuses[401] = "Missing, invalid or expired token."
        if not self._is_public():
            statuses[403] = "Signed in, but not allowed to do this."
        responses = force_instance(self.get_response_serializers())
        if "{" in self.path or (self.method == "GET" and is_list_serializer(responses)):
            statuses[404] = "No such object (or not yours), or no such page."
        if self.method in BODY_METHODS:
            if "version" in getattr(force_instance(self.get_request_serializer()), "fields", {}):
                statuses[409] = "`stale_version`: someone changed the object since you read it."
            statuses[415] = "The body is not JSON."
        statuses.update(getattr(self.view, "extra_error_statuses", {}))
        statuses[429] = "Rate limited; see Retry-After."
        return statuses
