"""Dispatcher endpoints under /api/v1/staff/delivery/: slots (capacity, closing) and shipments
(list, transitions, couriers). Each write is one service call; the services hold the rules."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from core.idempotency import idempotent
from delivery import selectors
from delivery.api.permissions import DispatcherPermission
from delivery.api.serializers import (
    AssignSerializer,
    StaffShipmentQuerySerializer,
    StaffShipmentSerializer,
    StaffSlotQuerySerializer,
    StaffSlotSerializer,
    StaffSlotUpdateSerializer,
    TransitionSerializer,
)
from delivery.errors import ShipmentNotFound, SlotNotFound
from delivery.models import DeliverySlot, Shipment, ShipmentHistory
from delivery.services import shipments, slots
from delivery.services.shipments import Actor


def _day_bounds(day: Any) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=1)


class StaffSlotListView(APIView):
    pagination_class = PageNumberPagination
    permission_classes = [DispatcherPermission]
    permission_model = "deliveryslot"
    serializer_class = StaffSlotSerializer  # what the schema shows for its GET

    @extend_schema(
        parameters=[StaffSlotQuerySerializer],
        responses={200: StaffSlotSerializer(many=True)},
        summary="Slots with their fill rate (default: today's and tomorrow's)",
    )
    def get(self, request: Request) -> Response:
        query = StaffSlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if "date" in query.validated_data:
            start, end = _day_bounds(query.validated_data["date"])
        else:
            start, _ = _day_bounds(timezone.localdate())
            end = start + timedelta(days=2)
        found = selectors.slots_with_fill(
            DeliverySlot.objects.select_related("zone").filter(starts_at__gte=start, starts_at__lt=end)
        )
        if "zone" in query.validated_data:
            found = found.filter(zone__code=query.validated_data["zone"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(found.order_by("starts_at", "zone__code", "id"), request, self) or []
        return paginator.get_paginated_response(StaffSlotSerializer(page, many=True).data)


class StaffSlotDetailView(APIView):
    permission_classes = [DispatcherPermission]
    permission_model = "deliveryslot"
    serializer_class = StaffSlotSerializer  # what the schema shows for its GET

    def _answer(self, slot_id: int) -> Response:
        slot = selectors.slots_with_fill(DeliverySlot.objects.select_related("zone")).filter(pk=slot_id).first()
        if slot is None:
            raise SlotNotFound(f"There is no slot {slot_id}.")
        return Response(StaffSlotSerializer(slot).data)

    @extend_schema(responses={200: StaffSlotSerializer})
    def get(self, request: Request, slot_id: int) -> Response:
        return self._answer(slot_id)

    @extend_schema(
        request=StaffSlotUpdateSerializer,
        responses={
            200: StaffSlotSerializer,
            409: OpenApiResponse(description="stale_version, or capacity_below_reserved"),
        },
        summary="Change a slot's capacity (never below its reserved places) or close/reopen it",
    )
    def patch(self, request: Request, slot_id: int) -> Response:
        body = StaffSlotUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        slots.update_slot(
            slot_id,
            version=data["version"],
            capacity=data.get("capacity"),
            closed=data.get("closed"),
            closed_reason=data.get("closed_reason", ""),
        )
        return self._answer(slot_id)


def _shipments() -> QuerySet[Shipment]:
    history = Prefetch("history", queryset=ShipmentHistory.objects.select_related("courier").order_by("at", "id"))
    return Shipment.objects.select_related("slot__zone", "zone", "courier").prefetch_related(history)


class StaffShipmentListView(APIView):
    pagination_class = PageNumberPagination
    permission_classes = [DispatcherPermission]
    permission_model = "shipment"
    serializer_class = StaffShipmentSerializer  # what the schema shows for its GET

    @extend_schema(
        parameters=[StaffShipmentQuerySerializer],
        responses={200: StaffShipmentSerializer(many=True)},
        summary="Shipments by status, zone, courier and day",
    )
    def get(self, request: Request) -> Response:
        query = StaffShipmentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        found = _shipments()
        if params.get("status"):
            found = found.filter(status__in=params["status"])
        if "zone" in params:
            found = found.filter(zone__code=params["zone"])
        if "courier" in params:
            found = found.filter(courier_id=params["courier"])
        if "date" in params:
            start, end = _day_bounds(params["date"])
            found = found.filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(found.order_by("slot__starts_at", "id"), request, self) or []
        return paginator.get_paginated_response(StaffShipmentSerializer(page, many=True).data)


def _shipment_response(shipment_id: int) -> Response:
    shipment = _shipments().filter(pk=shipment_id).first()
    if shipment is None:
        raise ShipmentNotFound(f"There is no shipment {shipment_id}.")
    return Response(StaffShipmentSerializer(shipment).data)


class StaffShipmentDetailView(APIView):
    permission_classes = [DispatcherPermission]
    permission_model = "shipment"
    serializer_class = StaffShipmentSerializer  # what the schema shows for its GET

    @extend_schema(responses={200: StaffShipmentSerializer})
    def get(self, request: Request, shipment_id: int) -> Response:
        return _shipment_response(shipment_id)


class StaffShipmentTransitionView(APIView):
    permission_classes = [DispatcherPermission]
    permission_model = "shipment"

    @extend_schema(
        request=TransitionSerializer,
        responses={
            200: StaffShipmentSerializer,
            409: OpenApiResponse(description="illegal_transition (nothing changed), or courier_required"),
        },
        summary="Move a shipment to its next status (see allowed_transitions)",
    )
    @idempotent()
    def post(self, request: Request, shipment_id: int) -> Response:
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shipments.transition_shipment(
            shipment_id, body.validated_data["status"], actor=Actor.of(request.user), note=body.validated_data["note"]
        )
        return _shipment_response(shipment_id)


class StaffShipmentAssignView(APIView):
    permission_classes = [DispatcherPermission]
    permission_model = "shipment"

    @extend_schema(
        request=AssignSerializer,
        responses={
            200: StaffShipmentSerializer,
            409: OpenApiResponse(description="courier_unavailable, no_courier_available, or illegal_transition"),
        },
        summary="Assign a courier, or the least loaded one of the zone when none is given",
    )
    @idempotent()
    def post(self, request: Request, shipment_id: int) -> Response:
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shipments.assign_courier(
            shipment_id,
            courier_id=body.validated_data["courier"],
            actor=Actor.of(request.user),
            note=body.validated_data["note"],
        )
        return _shipment_response(shipment_id)
