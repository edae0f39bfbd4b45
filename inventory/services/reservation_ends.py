"""How a reservation ends or changes hands: released, expired (on use, on reading availability, or
by the beat sweep) or handed to a new owner. Every ending first flips the reservation's state with
a conditional UPDATE (so exactly one path ends it) and only then gives its lines back in stock item
id order: the app's one lock order (reservations.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.types.numeric import Int8

from core.db.statements import statement_cursor
from core.errors import InvalidInput
from inventory.errors import ReservationBusy, ReservationExpired, ReservationNotActive, ReservationNotFound
from inventory.models import MovementReason, Reservation, ReservationState
from inventory.services import levels
from inventory.services.reservation_events import announce_released

logger = logging.getLogger(__name__)

ReservationRef = Reservation | int


def reservation_id_of(reservation: ReservationRef) -> int:
    return reservation if isinstance(reservation, int) else reservation.pk


def clean_ttl(ttl: timedelta | None) -> timedelta:
    ttl = ttl if ttl is not None else timedelta(minutes=settings.INVENTORY_RESERVATION_TTL_MINUTES)
    longest = timedelta(hours=settings.INVENTORY_RESERVATION_MAX_TTL_HOURS)
    if not timedelta(0) < ttl <= longest:
        raise InvalidInput(fields={"ttl": [f"Must be more than 0 and at most {longest}."]})
    return ttl


def clean_owner(owner_type: str, owner_id: str) -> tuple[str, str]:
    owner_type, owner_id = str(owner_type).strip(), str(owner_id).strip()
    problems = {}
    if not owner_type or len(owner_type) > 20:
        problems["owner_type"] = ["1 to 20 characters, e.g. cart or order."]
    if not owner_id or len(owner_id) > 64:
        problems["owner_id"] = ["1 to 64 characters."]
    if problems:
        raise InvalidInput(fields=problems)
    return owner_type, owner_id


def _end(reservation_id: int, *, state: str, reason: str, now: datetime, only_if_expired: bool = False) -> bool:
    """End an active reservation and give its lines back; False when it was not active (any more).
    The conditional UPDATE of its state decides which of several concurrent enders does it."""
    with transaction.atomic():
        rows = Reservation.objects.filter(pk=reservation_id, state=ReservationState.ACTIVE)
        if only_if_expired:
            rows = rows.filter(expires_at__lte=now)
        if not rows.update(state=state, end_reason=reason[:40], ended_at=now):
            return False
        reservation = Reservation.objects.get(pk=reservation_id)
        lines = list(reservation.lines.order_by("stock_item_id"))
        refs = levels.item_refs(line.stock_item_id for line in lines)
        for line in lines:
            levels.move(line.stock_item_id, reserved=-line.quantity, now=now)
        levels.record(
            levels.movement(
                refs[line.stock_item_id],
                reserved=-line.quantity,
                reason=MovementReason.RELEASE,
                reference=f"reservation:{reservation_id} {reason}"[:200],
                now=now,
            )
            for line in lines
        )
        announce_released(reservation, lines, refs)
        levels.changed(refs.values())
    logger.info("inventory: reservation %s %s (%s)", reservation_id, state, reason)
    return True


def release_expired_reservations(*, item_ids: Sequence[int] | None = None, limit: int | None = None) -> int:
    """Release active reservations past their expiry (of these items only, when given), one short
    transaction each; returns how many this call released."""
    now = timezone.now()
    rows = Reservation.objects.filter(state=ReservationState.ACTIVE, expires_at__lte=now)
    if item_ids is not None:
        rows = rows.filter(lines__stock_item_id__in=list(item_ids))
    expired = list(rows.order_by("expires_at", "pk").values_list("pk", flat=True).distinct()[:limit])
    return sum(
        _end(pk, state=ReservationState.EXPIRED, reason="expired", now=now, only_if_expired=True) for pk in expired
    )


def explain_unusable(reservation_id: int, now: datetime) -> Reservation:
    """The reservation that an active-and-unexpired condition did not match: expire it if it just
    ran out and raise why it cannot be used."""
    reservation = Reservation.objects.filter(pk=reservation_id).first()
    if reservation is None:
        raise ReservationNotFound(f"There is no reservation {reservation_id}.")
    if reservation.state == ReservationState.ACTIVE and reservation.expires_at <= now:
        _end(reservation_id, state=ReservationState.EXPIRED, reason="expired", now=now, only_if_expired=True)
        reservation.refresh_from_db()
    if reservation.state == ReservationState.EXPIRED:
        raise ReservationExpired(
            f"Reservation {reservation_id} expired at {reservation.expires_at:%H:%M:%S} UTC; reserve the stock again."
        )
    return reservation


def release_reservation(reservation: ReservationRef, *, reason: str = "cancelled") -> Reservation:
    """Give the reserved stock back. Releasing a reservation that already ended changes nothing;
    a committed one cannot be released (its goods left: record a return instead)."""
    reservation_id = reservation_id_of(reservation)
    now = timezone.now()
    if not _end(reservation_id, state=ReservationState.RELEASED, reason=reason or "released", now=now):
        found = Reservation.objects.filter(pk=reservation_id).first()
        if found is None:
            raise ReservationNotFound(f"There is no reservation {reservation_id}.")
        if found.state == ReservationState.COMMITTED:
            raise ReservationNotActive(
                f"Reservation {reservation_id} was committed; its goods have left. Record a return instead."
            )
    return Reservation.objects.get(pk=reservation_id)


def rebind_reservation(
    reservation: ReservationRef, *, owner_type: str, owner_id: str, ttl: timedelta | None = None
) -> Reservation:
    """Hand an active reservation to a new owner (a cart's to its order) with a new expiry; also
    how an owner extends its own reservation. Stock does not move, so no event is sent."""
    reservation_id = reservation_id_of(reservation)
    owner_type, owner_id = clean_owner(owner_type, owner_id)
    ttl = clean_ttl(ttl)
    now = timezone.now()
    if connection.vendor == "postgresql":
        rebound_row = _rebind_in_one_statement(reservation_id, owner_type, owner_id, now, now + ttl)
        if rebound_row is not None:
            return rebound_row
        others = Reservation.objects.filter(owner_type=owner_type, owner_id=owner_id, state=ReservationState.ACTIVE)
        if others.exclude(pk=reservation_id).exists():
            raise ReservationBusy(
                f"{owner_type}:{owner_id} already has an active reservation; release it first.",
                code="owner_has_reservation",
            )
        found = explain_unusable(reservation_id, now)
        raise ReservationNotActive(f"Reservation {reservation_id} was {found.state}; it cannot be handed over.")
    try:
        with transaction.atomic():
            rebound = Reservation.objects.filter(
                pk=reservation_id, state=ReservationState.ACTIVE, expires_at__gt=now
            ).update(owner_type=owner_type, owner_id=owner_id, expires_at=now + ttl)
    except IntegrityError:
        raise ReservationBusy(
            f"{owner_type}:{owner_id} already has an active reservation; release it first.",
            code="owner_has_reservation",
        ) from None
    if rebound:
        return Reservation.objects.get(pk=reservation_id)
    found = explain_unusable(reservation_id, now)
    raise ReservationNotActive(f"Reservation {reservation_id} was {found.state}; it cannot be handed over.")


_REBIND = (
    "UPDATE inventory_reservation SET owner_type = %(owner_type)s, owner_id = %(owner_id)s, "
    "expires_at = %(expires_at)s WHERE id = %(id)s AND state = 'active' AND expires_at > %(now)s "
    "AND NOT EXISTS (SELECT 1 FROM inventory_reservation other WHERE other.owner_type = %(owner_type)s "
    "AND other.owner_id = %(owner_id)s AND other.state = 'active' AND other.id <> %(id)s) RETURNING {columns}"
)


def _rebind_in_one_statement(
    reservation_id: int, owner_type: str, owner_id: str, now: datetime, expires_at: datetime
) -> Reservation | None:
    """The handover as one UPDATE ... RETURNING (no savepoint, no read after it); None when the
    reservation is not active and unexpired or the new owner has one already. A new owner's
    reservation created at the same moment still trips the unique index: that error fails the
    caller's transaction, as it should."""
    fields = Reservation._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    cursor = statement_cursor()  # prepared once per connection (core.db.statements)
    cursor.execute(
        _REBIND.format(columns=columns),
        {
            "owner_type": owner_type,
            "owner_id": owner_id,
            "expires_at": expires_at,
            "now": now,
            "id": Int8(reservation_id),
        },
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return Reservation.from_db(connection.alias, [field.attname for field in fields], list(row))
