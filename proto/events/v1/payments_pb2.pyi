import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.events.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PaymentAuthorized(_message.Message):
    __slots__ = ("payment_id", "order_id", "gateway", "amount", "provider_reference", "authorized_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZED_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    order_id: str
    gateway: str
    amount: _common_pb2.Money
    provider_reference: str
    authorized_at: _timestamp_pb2.Timestamp
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., gateway: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., provider_reference: _Optional[str] = ..., authorized_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaymentCompleted(_message.Message):
    __slots__ = ("payment_id", "order_id", "captured_amount", "captured_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    order_id: str
    captured_amount: _common_pb2.Money
    captured_at: _timestamp_pb2.Timestamp
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., captured_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaymentFailed(_message.Message):
    __slots__ = ("payment_id", "order_id", "gateway", "failure_code", "failure_message", "failed_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    order_id: str
    gateway: str
    failure_code: str
    failure_message: str
    failed_at: _timestamp_pb2.Timestamp
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., gateway: _Optional[str] = ..., failure_code: _Optional[str] = ..., failure_message: _Optional[str] = ..., failed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaymentRefunded(_message.Message):
    __slots__ = ("payment_id", "order_id", "refund_id", "amount", "total_refunded", "reason", "refunded_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REFUNDED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    order_id: str
    refund_id: str
    amount: _common_pb2.Money
    total_refunded: _common_pb2.Money
    reason: str
    refunded_at: _timestamp_pb2.Timestamp
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total_refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ..., refunded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
