"""delivery.v1.DeliveryService: slots for a postal code (anyone) or one of the caller's addresses,
and the tracking of a shipment (the customer's own; any for staff with delivery.view_shipment).
Thin over the delivery selectors and services, as the REST views."""

from datetime import datetime
from typing import Any

import grpc
from django.utils import timezone

from accounts.selectors import address_of
from core import errors
from core.grpc import pages
from core.grpc.calls import caller, has_staff_permission, require_user, validated
from delivery import selectors
from delivery.api.serializers import SlotQuerySerializer
from delivery.errors import AddressNotFound, ShipmentNotFound
from delivery.models import DeliverySlot
from delivery.services import holds
from proto.common.v1.types_pb2 import Money
from proto.delivery.v1 import delivery_pb2, delivery_pb2_grpc

SHIPMENT_PERMISSION = "delivery.view_shipment"
FIELD_PATHS = {"postal_code": "postal.postal_code", "country": "postal.country", "address": "address_id"}


def timestamp(message: Any, value: datetime) -> Any:
    message.FromDatetime(value)
    return message


def slot_message(slot: DeliverySlot, availability: selectors.SlotAvailability | None = None) -> delivery_pb2.Slot:
    message = delivery_pb2.Slot(id=slot.pk, remaining=slot.remaining)
    timestamp(message.starts_at, slot.starts_at)
    timestamp(message.ends_at, slot.ends_at)
    timestamp(message.cutoff_at, slot.cutoff_at)
    if availability is not None:
        message.fee.CopyFrom(Money(currency=availability.currency, amount=f"{availability.fee:.2f}"))
        message.available = availability.available
        message.unavailable_reason = availability.unavailable_reason or ""
    return message


def _location(request: delivery_pb2.ListSlotsRequest) -> dict[str, Any]:
    which = request.WhichOneof("location")
    if which == "address_id":
        user = caller().user
        if user is None:
            raise errors.Unauthenticated(
                "Sign in to look slots up by one of your addresses, or send a postal code.", code="not_authenticated"
            )
        address = address_of(user, request.address_id)
        if address is None:
            raise AddressNotFound("No such address among yours.", fields={"address_id": ["Not one of your addresses."]})
        return {"postal_code": address.postal_code, "country": address.country}
    if which == "postal":
        location = {"postal_code": request.postal.postal_code}
        if request.postal.country:
            location["country"] = request.postal.country
        return location
    return {}


class DeliveryServicer(delivery_pb2_grpc.DeliveryServiceServicer):
    def ListSlots(
        self, request: delivery_pb2.ListSlotsRequest, context: grpc.ServicerContext
    ) -> delivery_pb2.ListSlotsResponse:
        data = _location(request)
        if request.date:
            data["date"] = request.date
        if request.days:
            data["days"] = request.days
        if request.subtotal:
            data["subtotal"] = request.subtotal
        params = validated(SlotQuerySerializer, data, FIELD_PATHS)
        resolution = selectors.resolve_zone(params["country"], params["postal_code"])
        now = timezone.now()
        slots = selectors.upcoming_slots(resolution.zone, now=now, days=params["days"], day=params.get("date"))
        holds.release_expired_holds_of(list(slots.values_list("pk", flat=True)), now)  # exact remaining places
        scope = ["slots", resolution.zone.pk, params["days"], params.get("date")]
        page = pages.paginate(slots, page_size=request.page_size, page_token=request.page_token, scope=scope)
        availability = selectors.slot_availability(
            resolution.zone, page.items, now=now, subtotal=params.get("subtotal")
        )
        zone = resolution.zone
        return delivery_pb2.ListSlotsResponse(
            zone=delivery_pb2.Zone(code=zone.code, name=zone.name, time_zone=zone.time_zone),
            match=resolution.match,
            slots=[slot_message(a.slot, a) for a in availability],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    def GetShipment(
        self, request: delivery_pb2.GetShipmentRequest, context: grpc.ServicerContext
    ) -> delivery_pb2.Shipment:
        user = require_user()
        if has_staff_permission(user, SHIPMENT_PERMISSION):
            shipment = selectors.shipment_with_history(request.order_ref)
            if shipment is None:
                raise ShipmentNotFound("No shipment has this order reference.")
        else:
            shipment = selectors.shipment_for_customer(request.order_ref, str(user.pk))
        message = delivery_pb2.Shipment(
            order_ref=shipment.order_ref,
            order_number=shipment.order_number,
            status=shipment.status,
            slot=slot_message(shipment.slot),
            courier=shipment.courier.name if shipment.courier else "",
        )
        for step in selectors.status_steps(shipment):
            entry = message.history.add(from_status=step.from_status, to_status=step.to_status)
            entry.at.FromDatetime(step.at)
        message.status_changed_at.FromDatetime(shipment.status_changed_at)
        return message


def register(server: grpc.Server) -> list[str]:
    delivery_pb2_grpc.add_DeliveryServiceServicer_to_server(DeliveryServicer(), server)
    return [delivery_pb2.DESCRIPTOR.services_by_name["DeliveryService"].full_name]
