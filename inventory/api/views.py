"""The inventory API: availability for anyone (briefly cached), stock for warehouse staff.
Thin adapters: each validates its input and calls one service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog
from core.api.pagination import PageNumberPagination
from core.idempotency import idempotent
from inventory import cache, selectors, services
from inventory.api.permissions import StockPermission
from inventory.api.serializers import (
    AdjustmentSerializer,
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    ReceiptSerializer,
    StockItemSerializer,
    StockQuerySerializer,
)
from inventory.errors import StockItemNotFound, VariantNotFound
from inventory.models import StockItem
from inventory.services import Adjustment

if TYPE_CHECKING:
    from catalog.models import Variant

CACHE_HEADER = "X-Cache"


class AvailabilityView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["inventory"],
        parameters=[AvailabilityQuerySerializer],
        responses={
            200: AvailabilitySerializer,
            404: OpenApiResponse(description="variant_not_found or warehouse_not_found"),
        },
        summary="How much of a variant can be ordered now (cached a few seconds; X-Cache HIT or MISS)",
    )
    def get(self, request: Request) -> HttpResponse:
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        variant_id: int = query.validated_data["variant"]
        code: str | None = query.validated_data.get("warehouse")
        variant = catalog.variant_on_sale(variant_id)
        if variant is None:
            raise VariantNotFound(f"There is no variant {variant_id} on sale.")
        if code is not None:
            selectors.warehouse_by_code(code)  # an unknown code is a 404, and is not cached

        def build() -> dict[str, Any]:
            found = services.availability([variant_id], code)[variant_id]
            return AvailabilitySerializer(
                {
                    "variant": variant_id,
                    "sku": variant.sku,
                    "unit": variant.unit,
                    "warehouse": code,
                    "available": found.available,
                    "in_stock": found.available > 0,
                    "warehouses": [{"warehouse": s.warehouse_code, "available": s.available} for s in found.warehouses],
                }
            ).data

        body, hit = cache.cached(variant_id, code, build)
        return HttpResponse(
            JSONRenderer().render(body),
            content_type="application/json",
            headers={CACHE_HEADER: "HIT" if hit else "MISS"},
        )


def _stock_items() -> QuerySet[StockItem]:
    return StockItem.objects.select_related("warehouse", "variant")


def _item_response(stock_item_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(StockItemSerializer(_stock_items().get(pk=stock_item_id)).data, status=status_code)


class StaffStockListView(APIView):
    permission_classes = [StockPermission]
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["staff"],
        parameters=[StockQuerySerializer],
        responses=StockItemSerializer(many=True),
        summary="Stock items with their levels and versions, by warehouse, SKU or low stock",
    )
    def get(self, request: Request) -> Response:
        query = StockQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        items = selectors.stock_items_with_availability(_stock_items())
        if params.get("warehouse"):
            items = items.filter(warehouse__code=params["warehouse"])
        if params.get("sku"):
            items = items.filter(variant__sku=params["sku"])
        if params.get("low"):
            items = selectors.low_stock(items)
        paginator = self.pagination_class()
        paginator.set_canonical_query(
            {key: str(value).lower() if isinstance(value, bool) else value for key, value in params.items()}
        )
        page = paginator.paginate_queryset(items.order_by("warehouse__code", "variant__sku"), request, self)
        return paginator.get_paginated_response(StockItemSerializer(page, many=True).data)


def _variant(data: dict[str, Any]) -> Variant:
    return selectors.variant_by(variant_id=data.get("variant"), sku=data.get("sku"))


class StaffAdjustmentView(APIView):
    permission_classes = [StockPermission]
    extra_error_statuses = {
        404: "No such warehouse, variant, or stock item.",
        409: "`stale_version`, `below_reserved` (on-hand cannot go under what is reserved), or "
        "`idempotency_request_in_progress`.",
        422: "`idempotency_key_reused` with a different body.",
    }

    @extend_schema(
        tags=["staff"],
        request=AdjustmentSerializer,
        responses={200: StockItemSerializer},
        summary="Correct a stock item's on-hand (a count, waste, a return) from the version you read; "
        "needs an Idempotency-Key",
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        body = AdjustmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        variant = _variant(data)
        item = selectors.stock_item_id_of(selectors.warehouse_by_code(data["warehouse"]), variant)
        if item is None:
            raise StockItemNotFound(f"Warehouse {data['warehouse']} holds no stock of {variant.sku}; receive it first.")
        services.adjust_stock(
            Adjustment(
                stock_item_id=item, version=data["version"], on_hand=data.get("on_hand"), delta=data.get("delta")
            ),
            reason=data["reason"],
            note=data["note"],
            reference=data["reference"],
            actor_id=request.user.pk,
        )
        return _item_response(item)


class StaffReceiptView(APIView):
    permission_classes = [StockPermission]
    extra_error_statuses = {
        404: "No such warehouse or variant.",
        409: "`idempotency_request_in_progress`: the same key is still being processed.",
        422: "`idempotency_key_reused` with a different body.",
    }

    @extend_schema(
        tags=["staff"],
        request=ReceiptSerializer,
        responses={201: StockItemSerializer},
        summary="Record goods received into a warehouse; needs an Idempotency-Key",
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        body = ReceiptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item, _ = services.receive_stock(
            warehouse_code=data["warehouse"],
            variant=_variant(data),
            quantity=data["quantity"],
            reference=data["reference"],
            note=data["note"],
            actor_id=request.user.pk,
        )
        return _item_response(item.id, status.HTTP_201_CREATED)
