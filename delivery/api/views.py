"""Customer endpoints: slots for an address (anyone), holds (the customer's own), tracking."""

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import address_of
from core.api.pagination import PageNumberPagination
from core.idempotency import idempotent
from delivery import selectors
from delivery.api.serializers import (
    HoldCreateSerializer,
    HoldSerializer,
    ResolutionSerializer,
    SlotAvailabilitySerializer,
    SlotPageSerializer,
    SlotQuerySerializer,
    TrackingSerializer,
)
from delivery.errors import AddressNotFound
from delivery.models import ShipmentHistory
from delivery.services import holds

CONFLICTS = {
    409: OpenApiResponse(
        description="slot_full, slot_closed, slot_past_cutoff, hold_already_active, "
        "hold_expired, hold_already_extended or hold_not_active"
    )
}


def customer_id(request: Request) -> int:
    """The signed-in customer's id (the views' IsAuthenticated permission guarantees one)."""
    user_id = request.user.pk
    assert user_id is not None
    return int(user_id)


def _location_of_address(request: Request, address_id: int) -> tuple[str, str]:
    """Country and postal code of one of the signed-in customer's addresses."""
    if not request.user.is_authenticated:
        raise NotAuthenticated("Sign in to look slots up by one of your addresses, or pass postal_code.")
    address = address_of(request.user, address_id)
    if address is None:
        raise AddressNotFound("No such address among yours.", fields={"address": ["Not one of your addresses."]})
    return address.country, address.postal_code


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Results per page (capped)."),
]


class SlotListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination
    serializer_class = SlotAvailabilitySerializer  # what the schema shows for its GET

    @extend_schema(
        parameters=[SlotQuerySerializer, *PAGE_PARAMETERS],
        responses={200: SlotPageSerializer},
        summary="Delivery slots for a postal code, with remaining capacity, fee, cut-off and why a "
        "slot is not available",
    )
    def get(self, request: Request) -> Response:
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params: dict[str, Any] = query.validated_data
        if "postal_code" in params:
            country, postal_code = params["country"], params["postal_code"]
        else:
            country, postal_code = _location_of_address(request, params["address"])
        resolution = selectors.resolve_zone(country, postal_code)
        now = timezone.now()
        slots = selectors.upcoming_slots(resolution.zone, now=now, days=params["days"], day=params.get("date"))
        # Exact remaining capacity: expired holds give their places back before we count.
        holds.release_expired_holds_of(list(slots.values_list("pk", flat=True)), now)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(slots, request, self) or []
        availability = selectors.slot_availability(resolution.zone, page, now=now, subtotal=params.get("subtotal"))
        response = paginator.get_paginated_response(SlotAvailabilitySerializer(availability, many=True).data)
        response.data = {"resolution": ResolutionSerializer(resolution).data, **response.data}
        return response


def _hold_response(hold: Any, status_code: int = status.HTTP_200_OK) -> Response:
    headers = {}
    if status_code == status.HTTP_201_CREATED:
        headers["Location"] = reverse("v1:delivery:hold", kwargs={"hold_id": hold.pk})
    return Response(HoldSerializer(hold).data, status=status_code, headers=headers)


class HoldCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=HoldCreateSerializer,
        responses={201: HoldSerializer, 404: OpenApiResponse(description="slot_not_found"), **CONFLICTS},
        summary="Hold a place in a slot while checking out (one active hold per customer)",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        body = HoldCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        hold = holds.hold_slot(slot_id=body.validated_data["slot"], customer_id=customer_id(request))
        return _hold_response(hold, status.HTTP_201_CREATED)


class HoldDetailView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = HoldSerializer  # what the schema shows for its GET

    @extend_schema(responses={200: HoldSerializer}, summary="One of your holds, as it stands now")
    def get(self, request: Request, hold_id: int) -> Response:
        return _hold_response(holds.get_hold(hold_id, customer_id=customer_id(request)))

    @extend_schema(responses={204: None, **CONFLICTS}, summary="Release your hold (its place is free again)")
    def delete(self, request: Request, hold_id: int) -> Response:
        holds.release_hold(hold_id, customer_id=customer_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HoldExtendView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: HoldSerializer, **CONFLICTS},
        summary="Extend your hold once by DELIVERY_HOLD_EXTENSION_MINUTES",
    )
    def post(self, request: Request, hold_id: int) -> Response:
        return _hold_response(holds.extend_hold(hold_id, customer_id=customer_id(request)))


class ShipmentTrackingView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TrackingSerializer  # what the schema shows for its GET

    @extend_schema(responses={200: TrackingSerializer}, summary="Track the delivery of one of your orders")
    def get(self, request: Request, order_ref: str) -> Response:
        shipment = selectors.shipment_for_customer(order_ref, str(request.user.pk))
        steps = Prefetch("history", queryset=ShipmentHistory.objects.order_by("at", "id"))
        shipment = (
            type(shipment).objects.select_related("slot__zone", "courier").prefetch_related(steps).get(pk=shipment.pk)
        )
        return Response(TrackingSerializer(shipment).data)
