"""Staff endpoints: orders with filters, the picking list of a warehouse and slot, and the actions
(pick, pack, cancel, refund), all through the services."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from core.idempotency import HEADER, idempotent, key_parameter
from orders import selectors
from orders.api.permissions import OrderStaffPermission, RefundPermission
from orders.api.serializers import (
    CancelInputSerializer,
    OrderSummarySerializer,
    PickingListQuerySerializer,
    PickInputSerializer,
    RefundInputSerializer,
    StaffOrderListSerializer,
    StaffOrderQuerySerializer,
    StaffOrderSerializer,
)
from orders.models import ActorKind
from orders.services import lifecycle, picking, refunds

if TYPE_CHECKING:
    from accounts.models import User

IDEMPOTENCY_KEY = key_parameter("The same key and body is the same request: money moves once.")
TAGS = ["staff: orders"]


def staff_of(request: Request) -> "User":
    user = request.user
    assert isinstance(user, get_user_model())
    return user


def staff_order_response(order_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    order = selectors.order_of(order_id)
    context = {"shipment": selectors.shipment_of(order)}
    return Response(StaffOrderSerializer(order, context=context).data, status=status_code)


class StaffOrderListView(APIView):
    permission_classes = [OrderStaffPermission]
    pagination_class = PageNumberPagination
    serializer_class = StaffOrderListSerializer  # what the schema shows for its GET

    @extend_schema(
        tags=TAGS,
        parameters=[StaffOrderQuerySerializer],
        responses={200: StaffOrderListSerializer(many=True)},
        summary="Orders, newest first, by status, warehouse, slot, customer, time or number",
    )
    def get(self, request: Request) -> Response:
        query = StaffOrderQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given: dict[str, Any] = query.validated_data
        renamed = {"slot": "slot_id", "customer": "customer_id"}
        filters = selectors.StaffFilters(**{renamed.get(name, name): value for name, value in given.items()})
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.orders_for_staff(filters), request, self) or []
        return paginator.get_paginated_response(StaffOrderListSerializer(page, many=True).data)


class StaffOrderDetailView(APIView):
    permission_classes = [OrderStaffPermission]
    serializer_class = StaffOrderSerializer  # what the schema shows for its GET

    @extend_schema(tags=TAGS, responses={200: StaffOrderSerializer}, summary="One order, with payment and tracking")
    def get(self, request: Request, order_id: int) -> Response:
        return staff_order_response(order_id)


class PickingListView(APIView):
    permission_classes = [OrderStaffPermission]

    @extend_schema(
        tags=TAGS,
        parameters=[PickingListQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
        summary="What to pick in a warehouse (and slot): the orders, and the SKUs they need in total",
    )
    def get(self, request: Request) -> Response:
        query = PickingListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        orders, items = selectors.picking_list(query.validated_data["warehouse"], query.validated_data.get("slot"))
        return Response(
            {
                "orders": [
                    {
                        **OrderSummarySerializer(order).data,
                        "lines": [
                            {
                                "id": line.pk,
                                "sku": line.sku,
                                "name": line.name,
                                "unit": line.unit,
                                "quantity": f"{line.quantity.normalize():f}",
                                "substitution": line.substitution,
                                "substitute_variant": line.substitute_variant_id,
                                "picked_quantity": None
                                if line.picked_quantity is None
                                else f"{line.picked_quantity.normalize():f}",
                            }
                            for line in order.lines.all()
                        ],
                    }
                    for order in orders
                ],
                "items": [
                    {
                        "variant": item.variant_id,
                        "sku": item.sku,
                        "name": item.name,
                        "unit": item.unit,
                        "quantity": f"{item.quantity.normalize():f}",
                        "order_lines": item.order_lines,
                    }
                    for item in items
                ],
            }
        )


class StaffPickView(APIView):
    permission_classes = [OrderStaffPermission]

    @extend_schema(
        tags=TAGS,
        request=PickInputSerializer,
        responses={
            200: StaffOrderSerializer,
            409: OpenApiResponse(description="pick_refused, substitution_not_allowed or illegal_transition"),
        },
        summary="Record what was picked for lines (quantity or weight, and any substitute)",
    )
    def post(self, request: Request, order_id: int) -> Response:
        body = PickInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        picks = [
            picking.Pick(line["line"], line["picked_quantity"], line["substitute_variant"])
            for line in body.validated_data["lines"]
        ]
        picking.record_picks(order_id, picks, actor=staff_of(request))
        return staff_order_response(order_id)


class StaffPackView(APIView):
    permission_classes = [OrderStaffPermission]

    @extend_schema(
        tags=TAGS,
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: StaffOrderSerializer,
            409: OpenApiResponse(description="lines_not_picked, nothing_picked or illegal_transition"),
        },
        summary="Picking done: the stock leaves, the picked total is captured, the customer is told",
    )
    @idempotent(required=True)
    def post(self, request: Request, order_id: int) -> Response:
        picking.pack_order(order_id, actor=staff_of(request))
        return staff_order_response(order_id)


class StaffCancelView(APIView):
    permission_classes = [OrderStaffPermission]

    @extend_schema(
        tags=TAGS,
        request=CancelInputSerializer,
        responses={200: StaffOrderSerializer},
        summary="Cancel (until picking is done): stock, slot and payment are released",
    )
    @idempotent()
    def post(self, request: Request, order_id: int) -> Response:
        body = CancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lifecycle.cancel_order(
            order_id,
            by=ActorKind.STAFF,
            actor=staff_of(request),
            reason=body.validated_data["reason"] or "cancelled by staff",
        )
        return staff_order_response(order_id)


class StaffRefundView(APIView):
    permission_classes = [RefundPermission]

    @extend_schema(
        tags=TAGS,
        request=RefundInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: StaffOrderSerializer, 409: OpenApiResponse(description="refund_refused")},
        summary="Refund (part of) a delivered order; its status follows when the money moved",
    )
    @idempotent(required=True)
    def post(self, request: Request, order_id: int) -> Response:
        body = RefundInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        refunds.refund_order(
            order_id,
            amount=body.validated_data.get("amount"),
            reason=body.validated_data["reason"],
            idempotency_key=request.headers[HEADER].strip(),
            actor=staff_of(request),
        )
        return staff_order_response(order_id, status.HTTP_202_ACCEPTED)
