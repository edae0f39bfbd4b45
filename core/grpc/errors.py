"""Domain errors (core/errors.py) as gRPC statuses, the one mapping for every servicer.

The kind of the error decides the status code, as it decides the HTTP status in
core/api/exceptions.py; a few stable codes name a more precise gRPC code than their kind. The
status carries `google.rpc.Status` details: an ErrorInfo whose `reason` is the same stable code
the REST API answers in `code`, BadRequest field violations for per-field messages, RetryInfo for
rate limits. Clients read them with `grpc_status.rpc_status.from_call(error)`.
"""

from collections.abc import Iterable

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from core import errors

DOMAIN = "commerce"

CODE_OF_KIND: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (errors.RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.StaleVersion, grpc.StatusCode.ABORTED),  # read again, then retry
    (errors.Conflict, grpc.StatusCode.FAILED_PRECONDITION),  # the state must change first
    (errors.Unprocessable, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.DomainError, grpc.StatusCode.INVALID_ARGUMENT),
)

# Stable codes whose gRPC code is more precise than their kind's.
CODE_OF_REASON: dict[str, grpc.StatusCode] = {
    "idempotency_key_reused": grpc.StatusCode.ALREADY_EXISTS,  # the key exists, for another request
    "idempotency_request_in_progress": grpc.StatusCode.ABORTED,  # a concurrent repeat: retry shortly
    "email_taken": grpc.StatusCode.ALREADY_EXISTS,
    "code_taken": grpc.StatusCode.ALREADY_EXISTS,
}


def code_for(error: errors.DomainError) -> grpc.StatusCode:
    if error.code in CODE_OF_REASON:
        return CODE_OF_REASON[error.code]
    return next(code for kind, code in CODE_OF_KIND if isinstance(error, kind))


def _packed(messages: Iterable[object]) -> list[any_pb2.Any]:
    packed = []
    for message in messages:
        detail = any_pb2.Any()
        detail.Pack(message)  # type: ignore[arg-type]
        packed.append(detail)
    return packed


def status_proto(error: errors.DomainError) -> status_pb2.Status:
    code = code_for(error)
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=DOMAIN)
    details: list[object] = [info]
    if isinstance(error, errors.StaleVersion) and error.current_version is not None:
        info.metadata["current_version"] = str(error.current_version)
    if isinstance(error, errors.RateLimited):
        info.metadata["retry_after_seconds"] = str(error.retry_after)
        details.append(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=error.retry_after)))
    if error.fields:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=name, description=message)
                    for name, messages in error.fields.items()
                    for message in messages
                ]
            )
        )
    return status_pb2.Status(code=code.value[0], message=error.message, details=_packed(details))


def status_for(error: errors.DomainError) -> grpc.Status:
    """The status to abort the call with: code, message, and the details in the trailers."""
    return rpc_status.to_status(status_proto(error))


def internal_status(message: str = "Something went wrong on our side; it has been logged.") -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason="server_error", domain=DOMAIN)
    return rpc_status.to_status(
        status_pb2.Status(code=grpc.StatusCode.INTERNAL.value[0], message=message, details=_packed([info]))
    )


def deadline_status() -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason="deadline_exceeded", domain=DOMAIN)
    return rpc_status.to_status(
        status_pb2.Status(
            code=grpc.StatusCode.DEADLINE_EXCEEDED.value[0],
            message="The call's deadline ran out before it finished.",
            details=_packed([info]),
        )
    )
