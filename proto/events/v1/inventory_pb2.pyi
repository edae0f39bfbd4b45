import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.events.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InventoryReserved(_message.Message):
    __slots__ = ("reservation_id", "owner_type", "owner_id", "warehouse_code", "lines", "expires_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_TYPE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    owner_type: str
    owner_id: str
    warehouse_code: str
    lines: _containers.RepeatedCompositeFieldContainer[ReservedLine]
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., owner_type: _Optional[str] = ..., owner_id: _Optional[str] = ..., warehouse_code: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReservedLine, _Mapping]]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservedLine(_message.Message):
    __slots__ = ("variant_id", "sku", "quantity")
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    variant_id: str
    sku: str
    quantity: _common_pb2.Quantity
    def __init__(self, variant_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ...) -> None: ...

class InventoryReleased(_message.Message):
    __slots__ = ("reservation_id", "owner_type", "owner_id", "reason", "lines")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_TYPE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    owner_type: str
    owner_id: str
    reason: str
    lines: _containers.RepeatedCompositeFieldContainer[ReservedLine]
    def __init__(self, reservation_id: _Optional[str] = ..., owner_type: _Optional[str] = ..., owner_id: _Optional[str] = ..., reason: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReservedLine, _Mapping]]] = ...) -> None: ...

class InventoryAdjusted(_message.Message):
    __slots__ = ("warehouse_code", "variant_id", "sku", "delta", "on_hand_after", "reason", "reference", "actor_id")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    variant_id: str
    sku: str
    delta: _common_pb2.Quantity
    on_hand_after: _common_pb2.Quantity
    reason: str
    reference: str
    actor_id: str
    def __init__(self, warehouse_code: _Optional[str] = ..., variant_id: _Optional[str] = ..., sku: _Optional[str] = ..., delta: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., on_hand_after: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., reason: _Optional[str] = ..., reference: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class InventoryLowStock(_message.Message):
    __slots__ = ("warehouse_code", "variant_id", "sku", "available", "threshold")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    variant_id: str
    sku: str
    available: _common_pb2.Quantity
    threshold: _common_pb2.Quantity
    def __init__(self, warehouse_code: _Optional[str] = ..., variant_id: _Optional[str] = ..., sku: _Optional[str] = ..., available: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., threshold: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ...) -> None: ...

class InventoryAdjustedBatch(_message.Message):
    __slots__ = ("version", "reason", "reference", "actor_id", "items")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    version: int
    reason: str
    reference: str
    actor_id: str
    items: _containers.RepeatedCompositeFieldContainer[AdjustedItem]
    def __init__(self, version: _Optional[int] = ..., reason: _Optional[str] = ..., reference: _Optional[str] = ..., actor_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[AdjustedItem, _Mapping]]] = ...) -> None: ...

class AdjustedItem(_message.Message):
    __slots__ = ("warehouse_code", "variant_id", "sku", "delta", "on_hand_after", "line")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_AFTER_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    variant_id: str
    sku: str
    delta: _common_pb2.Quantity
    on_hand_after: _common_pb2.Quantity
    line: int
    def __init__(self, warehouse_code: _Optional[str] = ..., variant_id: _Optional[str] = ..., sku: _Optional[str] = ..., delta: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., on_hand_after: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., line: _Optional[int] = ...) -> None: ...
