"""The CHECK constraints of the reservation's tables, rewritten in the form PostgreSQL parses
fastest (migration 0012, decision 0088), keep the models' rules: every allowed value in, the
rest refused."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.models import MovementReason, ReservationState
from tests.inventory.helpers import make_variant, stocked

pytestmark = pytest.mark.django_db

MOVEMENT = (
    "INSERT INTO inventory_stockmovement (stock_item_id, on_hand_delta, reserved_delta, reason, reference, note, "
    "created_at) VALUES (%s, %s, %s, %s, '', '', now())"
)
RESERVATION = (
    "INSERT INTO inventory_reservation (owner_type, owner_id, warehouse_id, state, expires_at, end_reason, "
    "created_at) VALUES ('cart', %s, %s, %s, now(), '', now())"
)
LINE = "INSERT INTO inventory_reservationline (reservation_id, stock_item_id, quantity) VALUES (%s, %s, %s)"


def refused(statement: str, params: list[object]) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except IntegrityError:
        return True
    return False


def test_movement_reasons_and_reservation_states_are_the_models_choices() -> None:
    item = stocked(make_variant("MILK"), "5")
    for reason in MovementReason.values:
        assert not refused(MOVEMENT, [item.pk, 0, 1, reason])
    assert refused(MOVEMENT, [item.pk, 0, 1, "theft"])
    for n, state in enumerate(ReservationState.values):
        assert not refused(RESERVATION, [f"c-{n}", item.warehouse_id, state])
    assert refused(RESERVATION, ["c-x", item.warehouse_id, "lost"])


def test_a_movement_moves_something_and_levels_and_lines_are_never_negative() -> None:
    item = stocked(make_variant("MILK"), "5")
    assert refused(MOVEMENT, [item.pk, 0, 0, MovementReason.ADJUSTMENT])
    assert not refused(MOVEMENT, [item.pk, Decimal("0.001"), 0, MovementReason.ADJUSTMENT])
    for column in ("on_hand", "reserved", "low_stock_threshold"):
        assert refused(f"UPDATE inventory_stockitem SET {column} = -0.001 WHERE id = %s", [item.pk])  # noqa: S608
    assert not refused("UPDATE inventory_stockitem SET low_stock_threshold = 0 WHERE id = %s", [item.pk])
    with connection.cursor() as cursor:
        cursor.execute(RESERVATION + " RETURNING id", ["c-1", item.warehouse_id, "active"])
        reservation_id = cursor.fetchone()[0]
    assert refused(LINE, [reservation_id, item.pk, 0])
    assert not refused(LINE, [reservation_id, item.pk, Decimal("0.001")])
