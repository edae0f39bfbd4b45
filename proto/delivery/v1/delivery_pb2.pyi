import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PostalLocation(_message.Message):
    __slots__ = ("country", "postal_code")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    country: str
    postal_code: str
    def __init__(self, country: _Optional[str] = ..., postal_code: _Optional[str] = ...) -> None: ...

class ListSlotsRequest(_message.Message):
    __slots__ = ("postal", "address_id", "date", "days", "subtotal", "page_size", "page_token")
    POSTAL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    postal: PostalLocation
    address_id: int
    date: str
    days: int
    subtotal: str
    page_size: int
    page_token: str
    def __init__(self, postal: _Optional[_Union[PostalLocation, _Mapping]] = ..., address_id: _Optional[int] = ..., date: _Optional[str] = ..., days: _Optional[int] = ..., subtotal: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSlotsResponse(_message.Message):
    __slots__ = ("zone", "match", "slots", "next_page_token", "total_size")
    ZONE_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    zone: Zone
    match: str
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    next_page_token: str
    total_size: int
    def __init__(self, zone: _Optional[_Union[Zone, _Mapping]] = ..., match: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class Zone(_message.Message):
    __slots__ = ("code", "name", "time_zone")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    time_zone: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Slot(_message.Message):
    __slots__ = ("id", "starts_at", "ends_at", "cutoff_at", "remaining", "fee", "available", "unavailable_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_AT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: int
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    cutoff_at: _timestamp_pb2.Timestamp
    remaining: int
    fee: _types_pb2.Money
    available: bool
    unavailable_reason: str
    def __init__(self, id: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cutoff_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., remaining: _Optional[int] = ..., fee: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., available: _Optional[bool] = ..., unavailable_reason: _Optional[str] = ...) -> None: ...

class GetShipmentRequest(_message.Message):
    __slots__ = ("order_ref",)
    ORDER_REF_FIELD_NUMBER: _ClassVar[int]
    order_ref: str
    def __init__(self, order_ref: _Optional[str] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("order_ref", "order_number", "status", "status_changed_at", "slot", "courier", "history")
    ORDER_REF_FIELD_NUMBER: _ClassVar[int]
    ORDER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    COURIER_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    order_ref: str
    order_number: str
    status: str
    status_changed_at: _timestamp_pb2.Timestamp
    slot: Slot
    courier: str
    history: _containers.RepeatedCompositeFieldContainer[TrackingStep]
    def __init__(self, order_ref: _Optional[str] = ..., order_number: _Optional[str] = ..., status: _Optional[str] = ..., status_changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., slot: _Optional[_Union[Slot, _Mapping]] = ..., courier: _Optional[str] = ..., history: _Optional[_Iterable[_Union[TrackingStep, _Mapping]]] = ...) -> None: ...

class TrackingStep(_message.Message):
    __slots__ = ("from_status", "to_status", "at")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    from_status: str
    to_status: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, from_status: _Optional[str] = ..., to_status: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
