"""The catalog API: browsing for anyone (cached, see catalog.cache) and a staff endpoint for
variant changes (optimistic locking)."""

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api.serializers import (
    CategoryQuerySerializer,
    CategorySerializer,
    ProductDetailSerializer,
    ProductListSerializer,
    ProductQuerySerializer,
    StaffVariantSerializer,
    StaffVariantUpdateSerializer,
    listing_body,
)
from catalog.cache import cached_body, read_along_keys
from catalog.models import Variant
from catalog.selectors.listing import product_listing
from core.api.pagination import PageNumberPagination, page_number_of, page_size_of
from core.api.permissions import ModelPermissions
from core.money import amount_text

CACHE_HEADER = "X-Cache"
FILTERS = frozenset(ProductQuerySerializer().fields)


def _json(build: Callable[[], Any]) -> Callable[[], bytes]:
    def render() -> bytes:
        data = build()
        return data if isinstance(data, bytes) else JSONRenderer().render(data)  # bytes: written already

    return render


def body_response(body: bytes, hit: bool) -> HttpResponse:
    return HttpResponse(body, content_type="application/json", headers={CACHE_HEADER: "HIT" if hit else "MISS"})


def _cached_response(request: Request, name: str, parts: list[str], build: Callable[[], Any]) -> HttpResponse:
    body, hit = cached_body(name, parts, _json(build), getattr(request, "read_along_values", None))
    return body_response(body, hit)


# Accept headers DRF's negotiation answers with the JSON renderer (the only one) at once.
PLAIN_ACCEPT = frozenset({"*/*", "application/json"})


class CachedView(APIView):
    """A cached GET whose cache entry is read in the rate limit's Redis round trip: `cache_entry`
    names it before the throttles run.

    A plain anonymous GET whose page is cached is answered before the rest of the web stack
    (catalog.api.middleware). Any other request comes here: when the middleware counted it already
    (a miss, a refusal, bad input), its counts are on the request (`throttle_waits`, and the
    entry's raw values in `read_along_values`), so it is never counted twice; otherwise the entry
    is read along with DRF's own throttle check."""

    def cache_entry(self, request: Request | HttpRequest, **kwargs: Any) -> tuple[str, list[str]]:
        raise NotImplementedError

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if getattr(request, "throttle_waits", None) is None:  # not counted by the middleware yet
            try:
                entry = self.cache_entry(request, **kwargs)
            except Exception:  # bad input: the handler refuses it after the throttles, as before
                entry = None
            if entry is not None:
                request.read_along = read_along_keys(*entry)  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    def check_throttles(self, request: Request) -> None:
        waits = getattr(request, "throttle_waits", None)
        if waits is None:
            super().check_throttles(request)
        elif waits:  # refused by the middleware's count: the same 429 as DRF's own check
            wait = max((wait for wait in waits if wait is not None), default=None)
            self.throttled(request, wait)  # type: ignore[arg-type]  # may be None, as in DRF


class ProductListView(CachedView):
    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination

    def _query(
        self, request: Request | HttpRequest
    ) -> tuple[dict[str, Any], PageNumberPagination, dict[str, Any], list[str]]:
        """The validated filters, the paginator, the canonical filters and the cache key's parts."""
        parsed = getattr(self, "_parsed", None)
        if parsed is None:
            params, canonical, page, page_size = _parsed_query(request.META.get("QUERY_STRING", ""))
            # Keyed by the validated filters, not the raw query: junk parameters cannot bust the cache.
            parts = [
                request.build_absolute_uri(request.path),
                *(f"{k}={v}" for k, v in canonical.items()),
                f"page={page}",
                f"page_size={page_size}",
            ]
            parsed = self._parsed = (dict(params), self.pagination_class(), dict(canonical), parts)
        return parsed

    def cache_entry(self, request: Request | HttpRequest, **kwargs: Any) -> tuple[str, list[str]]:
        return "products", self._query(request)[3]

    @extend_schema(
        tags=["catalog"],
        parameters=[ProductQuerySerializer],
        responses=ProductListSerializer(many=True),
        summary="Browse and search products (cached; X-Cache says HIT or MISS)",
    )
    def get(self, request: Request) -> HttpResponse:
        params, paginator, canonical, parts = self._query(request)
        paginator.set_canonical_query(canonical)

        def build() -> Any:
            category = None
            if params.get("category"):  # resolved here, so a cache hit needs no query at all
                category = selectors.category_by_key(params["category"])
                if category is None:
                    raise ValidationError({"category": ["There is no such category."]})
            filters = selectors.ProductFilters(
                q=params.get("q", "").strip(),
                category=category,
                brands=tuple(params.get("brand", ())),
                price_min=params.get("price_min"),
                price_max=params.get("price_max"),
                attributes=tuple(params.get("attr", ())),
                sort=params.get("sort", ""),
            )
            # The page the paginator will take: read in the round trip that counts.
            size = page_size_of(request.GET)
            first = (page_number_of(request.GET) - 1) * size
            listing = product_listing(filters, expected=slice(first, first + size))
            rows = paginator.paginate_queryset(listing, request, view=self)
            return listing_body(paginator, rows)

        return _cached_response(request, "products", parts, build)


@functools.lru_cache(maxsize=2048)
def _parsed_query(query_string: str) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    """The listing's validated filters, their canonical spelling, the page and its size, from the
    raw query string. Remembered per query string: building and running a DRF serializer costs
    more than serving a cached page, and validation reads no data (invalid input raises, and is
    not remembered). Callers copy the dicts."""
    query = QueryDict(query_string)
    raw = tuple(sorted((name, tuple(query.getlist(name))) for name in FILTERS if name in query))
    params = dict(_validated_filters(raw)) if raw else {}
    return params, _canonical(params), page_number_of(query), page_size_of(query)


def _canonical(params: dict[str, Any]) -> dict[str, Any]:
    """The filters in one spelling: the cache key and the next/previous links."""
    canonical: dict[str, Any] = {}
    if params.get("q", "").strip():
        canonical["q"] = params["q"].strip()
    if params.get("category"):
        canonical["category"] = params["category"]
    if params.get("brand"):
        canonical["brand"] = ",".join(sorted(set(params["brand"])))
    if params.get("price_min") is not None:
        canonical["price_min"] = amount_text(params["price_min"])
    if params.get("price_max") is not None:
        canonical["price_max"] = amount_text(params["price_max"])
    if params.get("attr"):
        canonical["attr"] = sorted({f"{key}:{_attr_text(value)}" for key, value in params["attr"]})
    if params.get("sort"):
        canonical["sort"] = params["sort"]
    return canonical


def _validated_filters(raw: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, Any], ...]:
    """The listing's filters, validated (invalid input raises); lists become tuples, as the
    result is remembered with the query string (`_parsed_query`) and shared."""
    query = ProductQuerySerializer(data=QueryDict(urlencode([(k, v) for k, values in raw for v in values])))
    query.is_valid(raise_exception=True)
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value) for name, value in query.validated_data.items()
    )


def _attr_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class ProductDetailView(CachedView):
    permission_classes = [AllowAny]

    def cache_entry(self, request: Request | HttpRequest, **kwargs: Any) -> tuple[str, list[str]]:
        return "product", [str(kwargs["product_id"])]

    @extend_schema(tags=["catalog"], responses=ProductDetailSerializer, summary="One product with its variants")
    def get(self, request: Request, product_id: int) -> HttpResponse:
        def build() -> Any:
            product = selectors.product_for_detail(product_id)
            if product is None:
                raise NotFound()
            return ProductDetailSerializer(product).data

        return _cached_response(request, "product", [str(product_id)], build)


class CategoryListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["catalog"],
        parameters=[CategoryQuerySerializer],
        responses=CategorySerializer(many=True),
        summary="The active categories, top level first (build the tree with `parent`)",
    )
    def get(self, request: Request) -> HttpResponse:
        params: dict[str, Any] = {}
        if "parent" in request.query_params:
            query = CategoryQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            params = dict(query.validated_data)
        paginator = self.pagination_class()
        page, page_size = paginator.get_page_number(request, None), paginator.get_page_size(request)
        canonical = {"parent": request.query_params["parent"]} if "parent" in params else {}
        paginator.set_canonical_query(canonical)

        def build() -> Any:
            categories = selectors.visible_categories()
            if "parent" in params:
                categories = categories.filter(parent_id=params["parent"])
            rows = paginator.paginate_queryset(categories, request, view=self)
            return paginator.get_paginated_response(CategorySerializer(rows, many=True).data).data

        parts = [
            request.build_absolute_uri(request.path),
            *(f"{k}={v}" for k, v in canonical.items()),
            f"page={page}",
            f"page_size={page_size}",
        ]
        return _cached_response(request, "categories", parts, build)


class StaffVariantView(APIView):
    """For the back office and integrations (ERP price feeds): needs the catalog permissions."""

    permission_classes = [IsAuthenticated, ModelPermissions]
    queryset = Variant.objects.all()

    @extend_schema(tags=["staff"], responses=StaffVariantSerializer, summary="A variant, with its version")
    def get(self, request: Request, variant_id: int) -> Response:
        variant = selectors.variant_by_id(variant_id)
        if variant is None:
            raise NotFound()
        return Response(StaffVariantSerializer(variant).data)

    @extend_schema(
        tags=["staff"],
        request=StaffVariantUpdateSerializer,
        responses=StaffVariantSerializer,
        parameters=[OpenApiParameter("variant_id", int, OpenApiParameter.PATH)],
        summary="Change a variant (e.g. its price); a stale `version` is refused with 409",
    )
    def patch(self, request: Request, variant_id: int) -> Response:
        serializer = StaffVariantUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        variant = services.update_variant(variant_id, changes, expected_version=version)
        return Response(StaffVariantSerializer(variant).data)
