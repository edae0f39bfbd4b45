from google.protobuf import struct_pb2 as _struct_pb2
from proto.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetProductRequest(_message.Message):
    __slots__ = ("product_id",)
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    product_id: int
    def __init__(self, product_id: _Optional[int] = ...) -> None: ...

class BatchGetProductsRequest(_message.Message):
    __slots__ = ("product_ids",)
    PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    product_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, product_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class BatchGetProductsResponse(_message.Message):
    __slots__ = ("products", "missing_ids")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    MISSING_IDS_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    missing_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., missing_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class ProductFilter(_message.Message):
    __slots__ = ("category", "brands", "price_min", "price_max", "attributes")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BRANDS_FIELD_NUMBER: _ClassVar[int]
    PRICE_MIN_FIELD_NUMBER: _ClassVar[int]
    PRICE_MAX_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    category: str
    brands: _containers.RepeatedScalarFieldContainer[str]
    price_min: str
    price_max: str
    attributes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, category: _Optional[str] = ..., brands: _Optional[_Iterable[str]] = ..., price_min: _Optional[str] = ..., price_max: _Optional[str] = ..., attributes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListProductsRequest(_message.Message):
    __slots__ = ("filter", "sort", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: ProductFilter
    sort: str
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[ProductFilter, _Mapping]] = ..., sort: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchProductsRequest(_message.Message):
    __slots__ = ("query", "filter", "sort", "page_size", "page_token")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    query: str
    filter: ProductFilter
    sort: str
    page_size: int
    page_token: str
    def __init__(self, query: _Optional[str] = ..., filter: _Optional[_Union[ProductFilter, _Mapping]] = ..., sort: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProductsResponse(_message.Message):
    __slots__ = ("products", "next_page_token", "total_size")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    next_page_token: str
    total_size: int
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("id", "slug", "name", "description", "brand", "category", "breadcrumbs", "images", "attributes", "price_from", "variants")
    ID_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BREADCRUMBS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FROM_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    id: int
    slug: str
    name: str
    description: str
    brand: Brand
    category: CategoryRef
    breadcrumbs: _containers.RepeatedCompositeFieldContainer[CategoryRef]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    attributes: _struct_pb2.Struct
    price_from: _types_pb2.Money
    variants: _containers.RepeatedCompositeFieldContainer[Variant]
    def __init__(self, id: _Optional[int] = ..., slug: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., brand: _Optional[_Union[Brand, _Mapping]] = ..., category: _Optional[_Union[CategoryRef, _Mapping]] = ..., breadcrumbs: _Optional[_Iterable[_Union[CategoryRef, _Mapping]]] = ..., images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., attributes: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., price_from: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., variants: _Optional[_Iterable[_Union[Variant, _Mapping]]] = ...) -> None: ...

class Brand(_message.Message):
    __slots__ = ("id", "name", "slug")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    slug: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ...) -> None: ...

class CategoryRef(_message.Message):
    __slots__ = ("id", "name", "slug")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    slug: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("url", "alt_text")
    URL_FIELD_NUMBER: _ClassVar[int]
    ALT_TEXT_FIELD_NUMBER: _ClassVar[int]
    url: str
    alt_text: str
    def __init__(self, url: _Optional[str] = ..., alt_text: _Optional[str] = ...) -> None: ...

class Variant(_message.Message):
    __slots__ = ("id", "sku", "barcode", "name", "price", "compare_at_price", "unit", "step", "weight_kg")
    ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    BARCODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    COMPARE_AT_PRICE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    id: int
    sku: str
    barcode: str
    name: str
    price: _types_pb2.Money
    compare_at_price: _types_pb2.Money
    unit: str
    step: str
    weight_kg: str
    def __init__(self, id: _Optional[int] = ..., sku: _Optional[str] = ..., barcode: _Optional[str] = ..., name: _Optional[str] = ..., price: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., compare_at_price: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., unit: _Optional[str] = ..., step: _Optional[str] = ..., weight_kg: _Optional[str] = ...) -> None: ...
