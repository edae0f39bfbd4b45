from proto.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("variant_id", "warehouse_code")
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    variant_id: int
    warehouse_code: str
    def __init__(self, variant_id: _Optional[int] = ..., warehouse_code: _Optional[str] = ...) -> None: ...

class BatchGetAvailabilityRequest(_message.Message):
    __slots__ = ("variant_ids", "warehouse_code")
    VARIANT_IDS_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    variant_ids: _containers.RepeatedScalarFieldContainer[int]
    warehouse_code: str
    def __init__(self, variant_ids: _Optional[_Iterable[int]] = ..., warehouse_code: _Optional[str] = ...) -> None: ...

class BatchGetAvailabilityResponse(_message.Message):
    __slots__ = ("availabilities", "missing_ids")
    AVAILABILITIES_FIELD_NUMBER: _ClassVar[int]
    MISSING_IDS_FIELD_NUMBER: _ClassVar[int]
    availabilities: _containers.RepeatedCompositeFieldContainer[Availability]
    missing_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, availabilities: _Optional[_Iterable[_Union[Availability, _Mapping]]] = ..., missing_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class Availability(_message.Message):
    __slots__ = ("variant_id", "sku", "warehouse_code", "available", "in_stock", "warehouses")
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    variant_id: int
    sku: str
    warehouse_code: str
    available: _types_pb2.Quantity
    in_stock: bool
    warehouses: _containers.RepeatedCompositeFieldContainer[WarehouseAvailability]
    def __init__(self, variant_id: _Optional[int] = ..., sku: _Optional[str] = ..., warehouse_code: _Optional[str] = ..., available: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., in_stock: _Optional[bool] = ..., warehouses: _Optional[_Iterable[_Union[WarehouseAvailability, _Mapping]]] = ...) -> None: ...

class WarehouseAvailability(_message.Message):
    __slots__ = ("warehouse_code", "available")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    available: _types_pb2.Quantity
    def __init__(self, warehouse_code: _Optional[str] = ..., available: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ...) -> None: ...

class ItemTarget(_message.Message):
    __slots__ = ("warehouse_code", "variant_id", "sku")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    variant_id: int
    sku: str
    def __init__(self, warehouse_code: _Optional[str] = ..., variant_id: _Optional[int] = ..., sku: _Optional[str] = ...) -> None: ...

class AdjustStockRequest(_message.Message):
    __slots__ = ("idempotency_key", "target", "version", "on_hand", "delta", "reason", "reference", "note")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    target: ItemTarget
    version: int
    on_hand: str
    delta: str
    reason: str
    reference: str
    note: str
    def __init__(self, idempotency_key: _Optional[str] = ..., target: _Optional[_Union[ItemTarget, _Mapping]] = ..., version: _Optional[int] = ..., on_hand: _Optional[str] = ..., delta: _Optional[str] = ..., reason: _Optional[str] = ..., reference: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ReceiveStockRequest(_message.Message):
    __slots__ = ("idempotency_key", "target", "quantity", "reference", "note", "expected_version")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    target: ItemTarget
    quantity: str
    reference: str
    note: str
    expected_version: int
    def __init__(self, idempotency_key: _Optional[str] = ..., target: _Optional[_Union[ItemTarget, _Mapping]] = ..., quantity: _Optional[str] = ..., reference: _Optional[str] = ..., note: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class StockItem(_message.Message):
    __slots__ = ("id", "warehouse_code", "variant_id", "sku", "on_hand", "reserved", "available", "low_stock_threshold", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    LOW_STOCK_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: int
    warehouse_code: str
    variant_id: int
    sku: str
    on_hand: _types_pb2.Quantity
    reserved: _types_pb2.Quantity
    available: _types_pb2.Quantity
    low_stock_threshold: _types_pb2.Quantity
    version: int
    def __init__(self, id: _Optional[int] = ..., warehouse_code: _Optional[str] = ..., variant_id: _Optional[int] = ..., sku: _Optional[str] = ..., on_hand: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., reserved: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., available: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., low_stock_threshold: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...
