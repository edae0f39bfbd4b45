"""Places in slots: held while a customer checks out, booked when the order is placed.

The slot's `reserved` counter changes only here, by single conditional UPDATEs whose row count says
whether a place was taken, never by reading then writing. Every path that touches existing holds
locks their slot row first, so the order of locks is always slot, then holds (no deadlocks between
a sweep and a booking). Expired holds give their place back on the read path, when a full slot is
asked for a place, and in the beat sweep.
"""

import functools
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg.types.numeric import Int8

from core.db.statements import statement_cursor
from delivery.errors import (
    DeliveryError,
    HoldAlreadyActive,
    HoldAlreadyExtended,
    HoldExpired,
    HoldNotActive,
    HoldNotFound,
    SlotClosed,
    SlotFull,
    SlotNotFound,
    SlotPastCutoff,
    SlotUnavailable,
)
from delivery.models import DeliverySlot, HoldState, SlotHold
from delivery.selectors import UNAVAILABLE_MESSAGES, slots_with_expired_holds, unavailable_reason

logger = logging.getLogger(__name__)

_UNAVAILABLE: dict[str, type[SlotUnavailable]] = {
    "slot_closed": SlotClosed,
    "slot_past_cutoff": SlotPastCutoff,
    "slot_full": SlotFull,
}


def _take_place(slot_id: int, now: datetime) -> None:
    """Take one place with one conditional UPDATE; concurrent takers queue on the row and each
    re-checks the condition against the row as the previous one left it, so none can overbook."""
    taken = DeliverySlot.objects.filter(pk=slot_id, reserved__lt=F("capacity"), closed=False, cutoff_at__gt=now).update(
        reserved=F("reserved") + 1, updated_at=now
    )
    if taken:
        return
    slot = DeliverySlot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise SlotNotFound(f"There is no slot {slot_id}.")
    reason = unavailable_reason(slot, now) or "slot_full"  # freed in between: report it as it was
    raise _UNAVAILABLE[reason](UNAVAILABLE_MESSAGES[reason])


def _give_back(slot_id: int, places: int, now: datetime) -> None:
    DeliverySlot.objects.filter(pk=slot_id).update(reserved=F("reserved") - places, updated_at=now)


def _lock_slot(slot_id: int) -> None:
    # Only the slot's row: the model's default ordering joins its zone, and a plain FOR UPDATE
    # would lock the zone too, serialising every booking in the zone until its order commits.
    list(
        DeliverySlot.objects.select_for_update(of=("self",)).order_by().filter(pk=slot_id).values_list("pk", flat=True)
    )


def release_expired_holds(slot_id: int, now: datetime | None = None) -> int:
    """Turn the slot's expired active holds into expired ones and give their places back."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_slot(slot_id)
        freed = SlotHold.objects.filter(slot_id=slot_id, state=HoldState.ACTIVE, expires_at__lte=now).update(
            state=HoldState.EXPIRED, released_at=now
        )
        if freed:
            _give_back(slot_id, freed, now)
            logger.info("delivery: %d expired hold(s) of slot %s released", freed, slot_id)
    return freed


def release_expired_holds_of(slot_ids: list[int], now: datetime | None = None) -> int:
    """The read path's step before showing remaining capacity: exact, and cheap when nothing expired."""
    now = now or timezone.now()
    return sum(release_expired_holds(slot_id, now) for slot_id in slots_with_expired_holds(slot_ids, now))


def release_all_expired_holds(now: datetime | None = None) -> int:
    """The beat sweep: one short transaction per slot, so a sweep never holds many slot locks."""
    now = now or timezone.now()
    slot_ids = sorted(
        set(SlotHold.objects.filter(state=HoldState.ACTIVE, expires_at__lte=now).values_list("slot_id", flat=True))
    )
    return sum(release_expired_holds(slot_id, now) for slot_id in slot_ids)


def _release_expired_holds_of_customer(customer_id: int, now: datetime) -> None:
    for slot_id in list(
        SlotHold.objects.filter(customer_id=customer_id, state=HoldState.ACTIVE, expires_at__lte=now).values_list(
            "slot_id", flat=True
        )
    ):
        release_expired_holds(slot_id, now)


def hold_slot(
    *, slot_id: int, customer_id: int, owner_type: str = "customer", owner_id: str = "", ttl: timedelta | None = None
) -> SlotHold:
    """Hold a place in the slot for the customer for `ttl` (DELIVERY_HOLD_TTL_MINUTES by default).

    Refused with slot_full, slot_closed or slot_past_cutoff, and with hold_already_active while the
    customer holds another place (release it first)."""
    now = timezone.now()
    ttl = ttl or timedelta(minutes=settings.DELIVERY_HOLD_TTL_MINUTES)
    _release_expired_holds_of_customer(customer_id, now)
    with transaction.atomic():
        current = SlotHold.objects.filter(customer_id=customer_id, state=HoldState.ACTIVE).first()
        if current is not None:
            raise HoldAlreadyActive(
                f"You already hold a place (hold {current.pk}) until {current.expires_at:%H:%M} UTC; "
                "release it before holding another slot."
            )
        try:
            _take_place(slot_id, now)
        except SlotFull:
            if not release_expired_holds(slot_id, now):
                raise
            _take_place(slot_id, now)
        try:
            with transaction.atomic():
                hold = SlotHold.objects.create(
                    slot_id=slot_id,
                    customer_id=customer_id,
                    owner_type=owner_type,
                    owner_id=owner_id or str(customer_id),
                    expires_at=now + ttl,
                )
        except IntegrityError:
            # The partial unique index: a concurrent request of the same customer won. Raising rolls
            # back the place taken above.
            raise HoldAlreadyActive("You already hold a place in another slot.") from None
    logger.info(
        "delivery: hold %s on slot %s for customer %s until %s",
        hold.pk,
        slot_id,
        customer_id,
        hold.expires_at.isoformat(),
    )
    return hold


def _locked_hold(hold_id: int, customer_id: int | None) -> SlotHold:
    """The hold, locked after its slot (the lock order of this module)."""
    slot_id = SlotHold.objects.filter(pk=hold_id).values_list("slot_id", flat=True).first()
    if slot_id is None:
        raise HoldNotFound(f"There is no hold {hold_id}.")
    _lock_slot(slot_id)
    hold = SlotHold.objects.select_for_update(of=("self",)).select_related("slot").get(pk=hold_id)
    if customer_id is not None and hold.customer_id != customer_id:
        raise HoldNotFound(f"There is no hold {hold_id}.")  # someone else's hold: say nothing about it
    return hold


def _expire(hold: SlotHold, now: datetime) -> None:
    hold.state, hold.released_at = HoldState.EXPIRED, now
    hold.save(update_fields=["state", "released_at"])
    _give_back(hold.slot_id, 1, now)


def get_hold(hold_id: int, *, customer_id: int | None = None) -> SlotHold:
    """The hold as it stands now: an active hold past its expiry is expired (its place given back)
    before it is shown."""
    now = timezone.now()
    with transaction.atomic():
        hold = _locked_hold(hold_id, customer_id)
        if hold.state == HoldState.ACTIVE and hold.expires_at <= now:
            _expire(hold, now)
    return hold


def extend_hold(hold_id: int, *, customer_id: int | None = None) -> SlotHold:
    """Give an active hold DELIVERY_HOLD_EXTENSION_MINUTES more, once."""
    now = timezone.now()
    with transaction.atomic():
        hold = _locked_hold(hold_id, customer_id)
        outcome = _check_active(hold, now)
        if outcome is None and hold.extended_at is not None:
            outcome = HoldAlreadyExtended("This hold was already extended once; hold the slot again after it ends.")
        if outcome is None:
            hold.expires_at += timedelta(minutes=settings.DELIVERY_HOLD_EXTENSION_MINUTES)
            hold.extended_at = now
            hold.save(update_fields=["expires_at", "extended_at"])
    if outcome is not None:
        raise outcome  # after the commit, so that expiring the hold on the way sticks
    return hold


def _check_active(hold: SlotHold, now: datetime) -> DeliveryError | None:
    """None if the hold is active and unexpired; otherwise the error to report (expiring it on the way)."""
    if hold.state == HoldState.ACTIVE and hold.expires_at <= now:
        _expire(hold, now)
    if hold.state == HoldState.EXPIRED:
        return HoldExpired(f"Hold {hold.pk} expired at {hold.expires_at:%H:%M} UTC; hold the slot again.")
    if hold.state != HoldState.ACTIVE:
        return HoldNotActive(f"Hold {hold.pk} is {hold.state}.")
    return None


def release_hold(hold_id: int, *, customer_id: int | None = None) -> SlotHold:
    """Give the place back. Releasing a hold that already ended changes nothing; a booked place is
    freed by cancelling its order instead."""
    now = timezone.now()
    with transaction.atomic():
        hold = _locked_hold(hold_id, customer_id)
        if hold.state == HoldState.BOOKED:
            raise HoldNotActive(f"Hold {hold.pk} is booked for an order; cancel the order to free the place.")
        if hold.state == HoldState.ACTIVE:
            hold.state, hold.released_at = HoldState.RELEASED, now
            hold.save(update_fields=["state", "released_at"])
            _give_back(hold.slot_id, 1, now)
    return hold


def book_hold(hold_id: int, order_ref: str, *, customer_id: int | None = None) -> SlotHold:
    """At order placement: turn the hold into a booked place for the order.

    Re-checks, under the slot and hold locks, that the hold is still active and unexpired and that
    the slot is open and before its cut-off. Booking the same hold for the same order again returns
    it unchanged (a retried placement)."""
    if not order_ref:
        raise DeliveryError("A booking needs the order's reference.", fields={"order_ref": ["Required."]})
    now = timezone.now()
    booked = _book_in_one_statement(hold_id, order_ref, customer_id, now) if connection.vendor == "postgresql" else None
    if booked is not None:
        logger.info("delivery: hold %s booked for order %s", booked.pk, order_ref)
        return booked
    # Not bookable as it stands (or booked already): find out why, under the same locks.
    with transaction.atomic():
        hold = _locked_hold(hold_id, customer_id)
        if hold.state == HoldState.BOOKED and hold.order_ref == order_ref:
            return hold
        outcome = _check_active(hold, now)
        if outcome is None and hold.slot.closed:
            outcome = SlotClosed("This slot was closed; choose another one.")
        if outcome is None and hold.slot.cutoff_at <= now:
            outcome = SlotPastCutoff(
                f"Orders for this slot closed at {hold.slot.cutoff_at:%H:%M} UTC; choose a later slot."
            )
        if outcome is None:
            hold.state, hold.order_ref, hold.booked_at = HoldState.BOOKED, order_ref, now
            try:
                with transaction.atomic():
                    hold.save(update_fields=["state", "order_ref", "booked_at"])
            except IntegrityError:
                outcome = HoldNotActive(f"Order {order_ref} already has a booked place.")
    if outcome is not None:
        raise outcome
    logger.info("delivery: hold %s booked for order %s", hold.pk, order_ref)
    return hold


_BOOK = """
WITH slot AS MATERIALIZED (
    SELECT id FROM delivery_deliveryslot
    WHERE id = (SELECT slot_id FROM delivery_slothold WHERE id = %(hold)s) AND NOT closed AND cutoff_at > %(now)s
    FOR UPDATE
)
UPDATE delivery_slothold SET state = 'booked', order_ref = %(order_ref)s, booked_at = %(now)s
WHERE id = %(hold)s AND slot_id = (SELECT id FROM slot) AND state = 'active' AND expires_at > %(now)s
  AND (%(customer)s::bigint IS NULL OR customer_id = %(customer)s::bigint)
  AND NOT EXISTS (SELECT 1 FROM delivery_slothold WHERE order_ref = %(order_ref)s AND state = 'booked')
RETURNING {columns}
"""


def _book_in_one_statement(hold_id: int, order_ref: str, customer_id: int | None, now: datetime) -> SlotHold | None:
    """The common case in one statement that takes the locks in this module's order (the slot,
    then the hold) and books only an active, unexpired hold of an open slot before its cut-off;
    None when it booked nothing. No savepoint: nothing in it is expected to fail. PostgreSQL."""
    sql, attnames = _book_sql()
    customer = None if customer_id is None else Int8(customer_id)
    cursor = statement_cursor()  # prepared once per connection (core.db.statements)
    cursor.execute(sql, {"hold": Int8(hold_id), "order_ref": order_ref, "now": now, "customer": customer})
    row = cursor.fetchone()
    if row is None:
        return None
    return SlotHold.from_db(connection.alias, attnames, list(row))


@functools.cache
def _book_sql() -> tuple[str, list[str]]:
    """`_BOOK` returning every column of the hold, and their attribute names, once per process."""
    fields = SlotHold._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    return _BOOK.format(columns=columns), [field.attname for field in fields]


def cancel_booking(order_ref: str) -> bool:
    """Free the place booked for an order (it was cancelled); False when it had none (any more)."""
    slot_id = (
        SlotHold.objects.filter(order_ref=order_ref, state=HoldState.BOOKED).values_list("slot_id", flat=True).first()
    )
    if slot_id is None:
        return False
    now = timezone.now()
    with transaction.atomic():
        _lock_slot(slot_id)
        freed = SlotHold.objects.filter(order_ref=order_ref, state=HoldState.BOOKED).update(
            state=HoldState.RELEASED, released_at=now
        )
        if freed:
            _give_back(slot_id, freed, now)
    return bool(freed)
