"""Checkout: address -> zone -> a held place in a slot and the cart's stock reserved in the zone's
warehouse -> a price summary. The two holds expire together; placing the order turns them into a
booked place and the order's reservation.

Stock is reserved before the slot is held: in a rush on a scarce item most checkouts fail at the
reservation, which costs no slot row lock; a slot refusal gives the reservation straight back."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.selectors import address_of
from core.errors import DomainError, NotFound
from delivery.errors import SlotNotFound
from delivery.selectors import (
    active_hold_ids,
    delivery_fee,
    hold_by_id,
    hold_is_active,
    hold_is_live,
    resolve_zone,
    slot_of_zone,
)
from delivery.services import holds
from inventory.selectors import reservation_is_live
from inventory.services import release_reservation, reserve_stock
from orders.errors import BelowMinimumOrder, CartChanged, CartEmpty, CartInvalid, ZoneNotOrderable
from orders.models import Cart
from orders.services.cart import PricedCart, open_cart_of, price_cart

if TYPE_CHECKING:
    from accounts.models import Address, User
    from delivery.models import DeliverySlot, SlotHold, Zone
    from inventory.models import Reservation

logger = logging.getLogger(__name__)


class AddressNotFound(NotFound):
    code = "address_not_found"


@dataclass
class Checkout:
    """What the customer is about to order: the priced cart, where, when and until when it is held."""

    priced: PricedCart
    address: "Address | None"
    zone: "Zone | None"
    slot: "DeliverySlot | None"
    hold: "SlotHold | None"
    reservation: "Reservation | None"

    @property
    def expires_at(self) -> datetime | None:
        if self.hold is None or self.reservation is None:
            return None
        return min(self.hold.expires_at, self.reservation.expires_at)

    @property
    def ready(self) -> bool:
        """Placeable now: both holds active and unexpired, and no line has a problem."""
        now = timezone.now()
        return (
            self.hold is not None
            and hold_is_live(self.hold, now)
            and self.reservation is not None
            and reservation_is_live(self.reservation, now)
            and not self.priced.summary.problems
        )


def _slot_of(zone: "Zone", slot_id: int) -> "DeliverySlot":
    slot = slot_of_zone(zone, slot_id)
    if slot is None:
        raise SlotNotFound("This zone has no such slot.", fields={"slot": ["Not a slot of your address's zone."]})
    return slot


def _priced_for(cart: Cart, zone: "Zone", slot: "DeliverySlot") -> PricedCart:
    priced = price_cart(cart, warehouse_code=zone.warehouse_code, check_stock=False)
    priced.summary.set_delivery_fee(delivery_fee(zone, slot, priced.summary.goods_total))
    return priced


def validate_for_order(priced: PricedCart, zone: "Zone") -> None:
    """What checkout and placement both refuse: an empty cart, lines with problems, too little."""
    summary = priced.summary
    if not priced.lines:
        raise CartEmpty()
    if summary.problems:
        raise CartInvalid({f"lines.{line_id}": problems for line_id, problems in summary.problems.items()})
    if summary.currency != zone.currency:
        raise CartInvalid({"currency": [f"This zone takes orders in {zone.currency}."]})
    if summary.subtotal < zone.minimum_order:
        raise BelowMinimumOrder(
            f"The minimum order in {zone.name} is {zone.minimum_order} {zone.currency}; "
            f"add {zone.minimum_order - summary.subtotal} {zone.currency} more."
        )


def _hold_place(cart: Cart, customer: "User", slot: "DeliverySlot") -> "SlotHold":
    """The cart's held place in the slot: kept when it already holds one there, else moved here
    (a customer holds one place at a time; a booked place is an order's and stays)."""
    current = hold_by_id(cart.slot_hold_id) if cart.slot_hold_id else None
    if current is not None and current.slot_id == slot.pk and hold_is_live(current, timezone.now()):
        return current
    for hold_id in active_hold_ids(customer.pk):
        holds.release_hold(hold_id, customer_id=customer.pk)
    return holds.hold_slot(slot_id=slot.pk, customer_id=customer.pk, owner_type="cart", owner_id=cart.owner_ref)


def start_checkout(customer: "User", *, address_id: int, slot_id: int) -> Checkout:
    """Hold a place in the slot and reserve the cart's stock for DELIVERY_HOLD_TTL_MINUTES; the
    price summary says what placing the order will cost."""
    cart = open_cart_of(customer)
    assert cart is not None
    address = address_of(customer, address_id)
    if address is None:
        raise AddressNotFound("No such address among yours.", fields={"address": ["Not one of your addresses."]})
    zone = resolve_zone(address.country, address.postal_code).zone
    if not zone.warehouse_code:
        raise ZoneNotOrderable(f"{zone.name} takes no orders yet.")
    slot = _slot_of(zone, slot_id)
    priced = _priced_for(cart, zone, slot)
    validate_for_order(priced, zone)
    ttl = timedelta(minutes=settings.DELIVERY_HOLD_TTL_MINUTES)
    reservation = reserve_stock(
        owner_type="cart",
        owner_id=cart.owner_ref,
        warehouse_code=zone.warehouse_code,
        lines=[(item.line.variant_id, item.line.quantity) for item in priced.lines],
        ttl=ttl,
    )
    try:
        hold = _hold_place(cart, customer, slot)
    except DomainError:
        release_reservation(reservation, reason="slot refused")
        raise
    if not Cart.objects.filter(pk=cart.pk, version=cart.version).update(
        address=address,
        zone=zone,
        slot_hold=hold,
        reservation=reservation,
        checkout_version=cart.version,
        updated_at=timezone.now(),
    ):
        # The lines changed while we reserved: what is reserved no longer matches them.
        release_reservation(reservation, reason="cart changed")
        raise CartChanged()
    logger.info(
        "orders: checkout of cart %s: slot %s, reservation %s, total %s",
        cart.pk,
        slot.pk,
        reservation.pk,
        priced.summary.total,
    )
    return Checkout(priced, address, zone, slot, hold, reservation)


def checkout_of(customer: "User") -> Checkout:
    """The customer's checkout as it stands (not ready when nothing is held or it lapsed)."""
    cart = open_cart_of(customer)
    assert cart is not None
    cart = Cart.objects.select_related("address", "zone", "slot_hold__slot", "reservation").get(pk=cart.pk)
    hold = cart.slot_hold
    if cart.zone is None or hold is None:
        return Checkout(price_cart(cart), cart.address, cart.zone, None, None, None)
    return Checkout(_priced_for(cart, cart.zone, hold.slot), cart.address, cart.zone, hold.slot, hold, cart.reservation)


def cancel_checkout(customer: "User") -> None:
    """Give the held place and the reserved stock back (the customer left the checkout)."""
    with transaction.atomic():
        cart = open_cart_of(customer, lock=True)
        assert cart is not None
        if cart.reservation_id is not None:
            release_reservation(cart.reservation_id, reason="checkout left")
        if cart.slot_hold_id is not None and hold_is_active(cart.slot_hold_id):
            holds.release_hold(cart.slot_hold_id, customer_id=customer.pk)
        Cart.objects.filter(pk=cart.pk).update(slot_hold=None, reservation=None, updated_at=timezone.now())
