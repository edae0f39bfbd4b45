"""Building blocks for the delivery tests: zones, slots, people and shipments made the way the
services make them."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from delivery.models import Courier, DeliverySlot, PostalCodeMatch, Shipment, Zone, ZonePostalCode
from delivery.services.shipments import create_shipment

_numbers = count(1)


def make_zone(
    code: str = "mitte",
    *,
    exact: tuple[str, ...] = ("10115",),
    prefixes: tuple[str, ...] = (),
    country: str = "DE",
    fee: str = "3.90",
    free_over: str | None = "50.00",
    minimum: str = "15.00",
    active: bool = True,
) -> Zone:
    zone = Zone.objects.create(
        code=code,
        name=f"Zone {code}",
        time_zone="Europe/Berlin",
        currency="EUR",
        delivery_fee=Decimal(fee),
        minimum_order=Decimal(minimum),
        is_active=active,
        free_delivery_threshold=Decimal(free_over) if free_over else None,
    )
    for value in exact:
        ZonePostalCode.objects.create(zone=zone, country=country, match=PostalCodeMatch.EXACT, value=value)
    for value in prefixes:
        ZonePostalCode.objects.create(zone=zone, country=country, match=PostalCodeMatch.PREFIX, value=value)
    return zone


def make_slot(
    zone: Zone,
    *,
    starts_in: timedelta = timedelta(hours=5),
    capacity: int = 5,
    cutoff_minutes: int = 60,
    premium: str = "0.00",
    closed: bool = False,
) -> DeliverySlot:
    # Whole minutes plus a unique offset keep (zone, starts_at) unique across a test's slots.
    starts_at = timezone.now().replace(second=0, microsecond=0) + starts_in + timedelta(seconds=next(_numbers))
    return DeliverySlot.objects.create(
        zone=zone,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        cutoff_at=starts_at - timedelta(minutes=cutoff_minutes),
        capacity=capacity,
        fee_premium=Decimal(premium),
        closed=closed,
    )


def make_customer(email: str | None = None, *, password: str | None = None) -> User:
    """No password by default: hashing one costs a tenth of a second, and API tests sign in with
    force_authenticate."""
    return User.objects.create_user(email or f"customer{next(_numbers)}@example.com", password)


PASSWORD = "a-long-password-123"


def make_dispatcher(email: str = "dispatch@example.com", password: str = PASSWORD) -> User:
    """A staff member in the dispatcher role (the group the roles and the delivery migration create;
    made here again because transactional tests flush it away)."""
    user = User.objects.create_user(email, password, is_staff=True)
    group, _ = Group.objects.get_or_create(name="Dispatcher")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="delivery"))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def make_courier(name: str, *zones: Zone, active: bool = True) -> Courier:
    courier = Courier.objects.create(name=name, is_active=active)
    courier.zones.add(*zones)
    return courier


def make_shipment(slot: DeliverySlot, customer: User | None = None, order_ref: str | None = None) -> Shipment:
    ref = order_ref or f"order-{next(_numbers)}"
    return create_shipment(
        order_ref=ref, order_number=f"N-{ref}", customer_ref=str(customer.pk) if customer else "", slot=slot
    )


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
