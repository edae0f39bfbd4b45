import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    def __init__(self, order_id: _Optional[int] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("status", "customer_id", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: str
    customer_id: int
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[str] = ..., customer_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token", "total_size")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    total_size: int
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("order_id", "reason")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    reason: str
    def __init__(self, order_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    def __init__(self, order_id: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "number", "customer_id", "status", "subtotal", "delivery_fee", "total", "final_total", "warehouse_code", "placed_at", "slot_starts_at", "slot_ends_at", "cutoff_at", "lines", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FEE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINAL_TOTAL_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACED_AT_FIELD_NUMBER: _ClassVar[int]
    SLOT_STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    SLOT_ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_AT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: int
    number: str
    customer_id: int
    status: str
    subtotal: _types_pb2.Money
    delivery_fee: _types_pb2.Money
    total: _types_pb2.Money
    final_total: _types_pb2.Money
    warehouse_code: str
    placed_at: _timestamp_pb2.Timestamp
    slot_starts_at: _timestamp_pb2.Timestamp
    slot_ends_at: _timestamp_pb2.Timestamp
    cutoff_at: _timestamp_pb2.Timestamp
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    version: int
    def __init__(self, id: _Optional[int] = ..., number: _Optional[str] = ..., customer_id: _Optional[int] = ..., status: _Optional[str] = ..., subtotal: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., delivery_fee: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., final_total: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., warehouse_code: _Optional[str] = ..., placed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., slot_starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., slot_ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cutoff_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., version: _Optional[int] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("id", "variant_id", "sku", "name", "quantity", "unit_price", "line_total", "picked_quantity", "picked_sku")
    ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PICKED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PICKED_SKU_FIELD_NUMBER: _ClassVar[int]
    id: int
    variant_id: int
    sku: str
    name: str
    quantity: _types_pb2.Quantity
    unit_price: _types_pb2.Money
    line_total: _types_pb2.Money
    picked_quantity: _types_pb2.Quantity
    picked_sku: str
    def __init__(self, id: _Optional[int] = ..., variant_id: _Optional[int] = ..., sku: _Optional[str] = ..., name: _Optional[str] = ..., quantity: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., unit_price: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., line_total: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., picked_quantity: _Optional[_Union[_types_pb2.Quantity, _Mapping]] = ..., picked_sku: _Optional[str] = ...) -> None: ...

class OrderStatusChange(_message.Message):
    __slots__ = ("order_id", "from_status", "to_status", "at", "event_type", "actor_kind", "final")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_KIND_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    from_status: str
    to_status: str
    at: _timestamp_pb2.Timestamp
    event_type: str
    actor_kind: str
    final: bool
    def __init__(self, order_id: _Optional[int] = ..., from_status: _Optional[str] = ..., to_status: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_type: _Optional[str] = ..., actor_kind: _Optional[str] = ..., final: _Optional[bool] = ...) -> None: ...
