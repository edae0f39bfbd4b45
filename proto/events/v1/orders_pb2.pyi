import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from proto.events.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderCreated(_message.Message):
    __slots__ = ("order_id", "number", "customer_id", "subtotal", "delivery_fee", "total", "lines", "delivery_slot_id", "placed_at", "warehouse_code", "shipping_address", "delivery_window_start", "delivery_window_end", "discount_total", "delivery_discount")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FEE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    PLACED_AT_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    number: str
    customer_id: str
    subtotal: _common_pb2.Money
    delivery_fee: _common_pb2.Money
    total: _common_pb2.Money
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    delivery_slot_id: str
    placed_at: _timestamp_pb2.Timestamp
    warehouse_code: str
    shipping_address: ShippingAddress
    delivery_window_start: _timestamp_pb2.Timestamp
    delivery_window_end: _timestamp_pb2.Timestamp
    discount_total: _common_pb2.Money
    delivery_discount: _common_pb2.Money
    def __init__(self, order_id: _Optional[str] = ..., number: _Optional[str] = ..., customer_id: _Optional[str] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., delivery_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., delivery_slot_id: _Optional[str] = ..., placed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., warehouse_code: _Optional[str] = ..., shipping_address: _Optional[_Union[ShippingAddress, _Mapping]] = ..., delivery_window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., delivery_discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ShippingAddress(_message.Message):
    __slots__ = ("recipient_name", "phone", "line1", "line2", "city", "region", "postal_code", "country", "delivery_instructions")
    RECIPIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    LINE1_FIELD_NUMBER: _ClassVar[int]
    LINE2_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    recipient_name: str
    phone: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    delivery_instructions: str
    def __init__(self, recipient_name: _Optional[str] = ..., phone: _Optional[str] = ..., line1: _Optional[str] = ..., line2: _Optional[str] = ..., city: _Optional[str] = ..., region: _Optional[str] = ..., postal_code: _Optional[str] = ..., country: _Optional[str] = ..., delivery_instructions: _Optional[str] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("line_id", "variant_id", "sku", "name", "quantity", "unit_price", "line_total", "discount_amount")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    variant_id: str
    sku: str
    name: str
    quantity: _common_pb2.Quantity
    unit_price: _common_pb2.Money
    line_total: _common_pb2.Money
    discount_amount: _common_pb2.Money
    def __init__(self, line_id: _Optional[str] = ..., variant_id: _Optional[str] = ..., sku: _Optional[str] = ..., name: _Optional[str] = ..., quantity: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., line_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderConfirmed(_message.Message):
    __slots__ = ("order_id", "payment_id", "total", "confirmed_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    payment_id: str
    total: _common_pb2.Money
    confirmed_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderPicked(_message.Message):
    __slots__ = ("order_id", "final_total", "lines", "picked_at", "placed_total")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FINAL_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    PICKED_AT_FIELD_NUMBER: _ClassVar[int]
    PLACED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    final_total: _common_pb2.Money
    lines: _containers.RepeatedCompositeFieldContainer[PickedLine]
    picked_at: _timestamp_pb2.Timestamp
    placed_total: _common_pb2.Money
    def __init__(self, order_id: _Optional[str] = ..., final_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[PickedLine, _Mapping]]] = ..., picked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., placed_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class PickedLine(_message.Message):
    __slots__ = ("line_id", "picked_quantity", "substitute_sku", "name", "ordered_quantity", "substitute_name", "line_total")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    PICKED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTE_SKU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORDERED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    picked_quantity: _common_pb2.Quantity
    substitute_sku: str
    name: str
    ordered_quantity: _common_pb2.Quantity
    substitute_name: str
    line_total: _common_pb2.Money
    def __init__(self, line_id: _Optional[str] = ..., picked_quantity: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., substitute_sku: _Optional[str] = ..., name: _Optional[str] = ..., ordered_quantity: _Optional[_Union[_common_pb2.Quantity, _Mapping]] = ..., substitute_name: _Optional[str] = ..., line_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderShipped(_message.Message):
    __slots__ = ("order_id", "shipment_id", "courier_id", "shipped_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COURIER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    shipment_id: str
    courier_id: str
    shipped_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., shipment_id: _Optional[str] = ..., courier_id: _Optional[str] = ..., shipped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderDelivered(_message.Message):
    __slots__ = ("order_id", "shipment_id", "delivered_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    shipment_id: str
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., shipment_id: _Optional[str] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("order_id", "reason", "cancelled_by", "total", "cancelled_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reason: str
    cancelled_by: str
    total: _common_pb2.Money
    cancelled_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., reason: _Optional[str] = ..., cancelled_by: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cancelled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
