"""Reading a failed call's status and its google.rpc details."""

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from accounts import services as accounts
from accounts.models import User


def bearer(user: User) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {accounts.issue_token(user, name='grpc tests').key}"),)


@dataclass
class Failure:
    code: grpc.StatusCode
    message: str
    reason: str
    metadata: dict[str, str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    retry_seconds: int | None = None


def failure(call: Any, *args: Any, **kwargs: Any) -> Failure:
    """Make the call, which must fail; its status with the ErrorInfo and BadRequest details."""
    try:
        call(*args, timeout=10, **kwargs)
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None, f"no rich status on {error}"
        result = Failure(code=error.code(), message=status.message, reason="", metadata={})  # type: ignore[attr-defined]
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                assert info.domain == "commerce"
                result.reason, result.metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                for violation in bad.field_violations:
                    result.fields.setdefault(violation.field, []).append(violation.description)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                result.retry_seconds = retry.retry_delay.seconds
        assert result.reason, "every failure carries an ErrorInfo"
        return result
    raise AssertionError("the call succeeded")
