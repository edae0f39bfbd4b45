import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.events.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PromotionRedeemed(_message.Message):
    __slots__ = ("order_id", "customer_id", "promotions", "discount_total", "delivery_discount", "redeemed_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    customer_id: str
    promotions: _containers.RepeatedCompositeFieldContainer[RedeemedPromotion]
    discount_total: _common_pb2.Money
    delivery_discount: _common_pb2.Money
    redeemed_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., promotions: _Optional[_Iterable[_Union[RedeemedPromotion, _Mapping]]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., delivery_discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., redeemed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RedeemedPromotion(_message.Message):
    __slots__ = ("promotion_id", "name", "kind", "code", "amount", "free_delivery")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FREE_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    name: str
    kind: str
    code: str
    amount: _common_pb2.Money
    free_delivery: bool
    def __init__(self, promotion_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., code: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., free_delivery: _Optional[bool] = ...) -> None: ...
