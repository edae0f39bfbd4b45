"""The OpenAPI schema tells the truth about errors and inputs, from what each view declares.

Every operation lists the error statuses the server can answer with, each with the one error body
(and Retry-After on 429): a body or query parameters imply 400, any operation 401 (a wrong or
expired token), permission classes other than AllowAny 403, a path parameter or a page 404, a
`version` field or an Idempotency-Key 409, an Idempotency-Key 422, throttles 429. A view adds what
only it answers in `extra_error_statuses` (or in its `extend_schema` responses). Request bodies of
serializers that refuse unknown fields (StrictFieldsMixin) say `additionalProperties: false`, and an
idempotent handler (core.idempotency.idempotent) gets its Idempotency-Key header documented.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, is_list_serializer
from rest_framework.permissions import AllowAny

from core.api.serializers import ErrorSerializer, StrictFieldsMixin

BODY_METHODS = {"POST", "PUT", "PATCH"}
IDEMPOTENCY_HEADER = "Idempotency-Key"


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self._document_idempotency_key(operation)
        self._document_page_parameters(operation)
        for parameter in operation.get("parameters", []):
            # DRF reads an empty optional query value (`?status=`) as an absent one.
            if (
                parameter.get("in") == "query"
                and not parameter.get("required")
                and parameter.get("schema", {}).get("type") != "array"
            ):
                parameter["allowEmptyValue"] = True
        error = {"application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}}
        responses = operation.setdefault("responses", {})
        for status_code, description in self._error_statuses(operation).items():
            entry: dict[str, Any] = {"description": description, "content": error}
            if status_code == 429:
                entry["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
                }
            present = responses.get(str(status_code))
            if present is None:
                responses[str(status_code)] = entry
            elif "content" not in present:  # a view's own description of the status, in the one error body
                present["content"] = error
        return operation

    def _get_request_body(self, direction: str = "request") -> Any:
        # A DELETE that needs a body (a password confirming an erasure) is documented like a POST's;
        # the view opts in with `request_body_on_delete`.
        if self.method == "DELETE" and getattr(self.view, "request_body_on_delete", False):
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _map_serializer(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(force_instance(serializer), StrictFieldsMixin):
            schema["additionalProperties"] = False
        return schema

    def _idempotency(self) -> bool | None:
        """None: the handler takes no Idempotency-Key; else whether it needs one."""
        handler = getattr(self.view, self.method.lower(), None)
        return getattr(handler, "idempotency_key_required", None)

    def _document_idempotency_key(self, operation: dict[str, Any]) -> None:
        required = self._idempotency()
        parameters = operation.setdefault("parameters", [])
        if required is None or any(p.get("name") == IDEMPOTENCY_HEADER for p in parameters):
            return
        parameters.append(
            {
                "in": "header",
                "name": IDEMPOTENCY_HEADER,
                "required": required,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "The same key and body is the same request: a retry is safe and answered alike.",
            }
        )

    def _document_page_parameters(self, operation: dict[str, Any]) -> None:
        """A paginated list's page parameters as its paginator checks them, also where the view
        describes its page by hand."""
        if not self._is_paginated():
            return
        paginator = getattr(self.view, "pagination_class")()  # noqa: B009  (not on APIView)
        if not hasattr(paginator, "get_schema_operation_parameters"):
            return
        exact = {p["name"]: p for p in paginator.get_schema_operation_parameters(self.view)}
        parameters = operation.setdefault("parameters", [])
        parameters[:] = [
            exact[p["name"]] if p.get("in") == "query" and p.get("name") in exact else p for p in parameters
        ]

    def _is_public(self) -> bool:
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _is_paginated(self) -> bool:
        return self.method == "GET" and getattr(self.view, "pagination_class", None) is not None

    def _error_statuses(self, operation: dict[str, Any]) -> dict[int, str]:
        statuses: dict[int, str] = {}
        idempotency = self._idempotency()
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        body = self.method in BODY_METHODS or (
            self.method == "DELETE" and getattr(self.view, "request_body_on_delete", False)
        )
        if body or has_query or idempotency is not None:
            statuses[400] = "Invalid request: `fields` names what to fix."
        # Even public endpoints answer 401 to a token that is wrong or expired.
        statuses[401] = "Missing, invalid or expired token."
        if not self._is_public():
            statuses[403] = "Signed in, but not allowed to do this."
        responses = force_instance(self.get_response_serializers())
        if "{" in self.path or self._is_paginated() or (self.method == "GET" and is_list_serializer(responses)):
            statuses[404] = "No such object (or not yours), or no such page."
        if body:
            if "version" in getattr(force_instance(self.get_request_serializer()), "fields", {}):
                statuses[409] = "`stale_version`: someone changed the object since you read it."
            statuses[415] = "The body is not JSON."
        if idempotency is not None:
            statuses.setdefault(409, "`idempotency_request_in_progress`: a request with this key is still running.")
            statuses[422] = "`idempotency_key_reused`: the key was used for a different request."
        statuses.update(getattr(self.view, "extra_error_statuses", {}))
        if self.view.get_throttles():
            statuses[429] = "Rate limited; see Retry-After."
        return statuses
