"""An owner's first reservation in one statement, outside a transaction, locks its items last
(decision 0078): the reservation, its lines, its ledger and its event are written before the stock
row is locked, and a line that no longer fits once locked undoes all of it, so the two-step path
decides. Real threads and connections: the statement runs in autocommit, as a request runs it."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from events.contracts import decimal_from_quantity, unpack_envelope
from events.models import OutboxEvent
from inventory.errors import OutOfStock
from inventory.models import Reservation, ReservationState, StockItem, StockMovement
from inventory.services import first_reservation, first_reservation_sql, reserve_stock, set_low_stock_threshold
from tests.inventory.helpers import assert_ledger_matches, events_of, levels, make_variant, stocked

pytestmark = pytest.mark.django_db(transaction=True)


def reserve(owner: str, variant_id: int, qty: str) -> Reservation:
    return reserve_stock(owner_type="cart", owner_id=owner, lines=[(variant_id, qty)], warehouse_code="berlin-1")


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # the test looks at it
            result.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def drawn(table: str) -> int:
    """The last value the table's id sequence handed out (sequences ignore rollbacks)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")  # noqa: S608
        return int(cursor.fetchone()[0])


def wait_until_blocked_on_a_row_lock() -> None:
    """Until another backend of this database waits for a lock (the stock row held below)."""
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first look only
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the reservation never waited for the stock row")


@contextmanager
def another_reservation_holding(item: StockItem, qty: str) -> Iterator[None]:
    """A concurrent writer holding the item's row (its reserved moves by `qty`, ledgered) until
    the block ends, then committing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stockitem SET reserved = reserved + %s WHERE id = %s", [Decimal(qty), item.pk])
        StockMovement.objects.create(
            stock_item_id=item.pk, on_hand_delta=0, reserved_delta=Decimal(qty), reason="reservation", reference="other"
        )
        yield


def known_and_reserved_once(item: StockItem) -> Reservation:
    first = reserve("c-0", item.variant_id, "1")  # the two-step path: the item is known from now on
    assert first_reservation.known("berlin-1", [item.variant_id]) is not None
    return first


def test_outside_a_transaction_the_writes_come_before_the_stock_row_lock() -> None:
    item = stocked(make_variant("MILK"), "10")
    known_and_reserved_once(item)
    before = {table: drawn(table) for table in ("inventory_reservation", "events_outboxevent")}

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM inventory_stockitem WHERE id = %s FOR UPDATE", [item.pk])
        thread, result = in_thread(lambda: reserve("c-1", item.variant_id, "2"))
        wait_until_blocked_on_a_row_lock()
        # Waiting for the row, the statement has already drawn its reservation's and its event's ids.
        during = {table: drawn(table) for table in before}
        assert during == {table: value + 1 for table, value in before.items()}
        assert not Reservation.objects.filter(owner_id="c-1").exists()  # not committed yet
    thread.join(timeout=20)

    [reservation] = result
    assert isinstance(reservation, Reservation), reservation
    assert reservation.pk == during["inventory_reservation"]
    assert levels(item) == (Decimal(10), Decimal(3))
    assert OutboxEvent.objects.get(pk=during["events_outboxevent"]).aggregate_id == str(reservation.pk)
    assert_ledger_matches()


def test_a_line_short_once_locked_undoes_everything_and_the_two_step_path_refuses() -> None:
    item = stocked(make_variant("BREAD"), "5")
    known_and_reserved_once(item)  # 4 left
    before = drawn("inventory_reservation")

    with another_reservation_holding(item, "4"):
        thread, result = in_thread(lambda: reserve("c-1", item.variant_id, "2"))
        wait_until_blocked_on_a_row_lock()  # its snapshot still sees 4 available
    thread.join(timeout=20)

    [refusal] = result
    assert isinstance(refusal, OutOfStock), refusal
    assert "BREAD: asked for 2, 0 available" in refusal.message
    assert drawn("inventory_reservation") > before  # the statement wrote its reservation, then undid it
    assert not Reservation.objects.filter(owner_id="c-1").exists()
    assert StockMovement.objects.filter(reference__startswith="reservation:").count() == 1  # c-0's
    assert len(events_of("inventory.reserved")) == 1
    assert levels(item) == (Decimal(5), Decimal(5))
    assert_ledger_matches()


def test_a_line_crossing_its_threshold_once_locked_is_reserved_by_the_two_step_path_with_its_event() -> None:
    item = stocked(make_variant("EGGS"), "10")
    set_low_stock_threshold(item.pk, "3", version=StockItem.objects.get(pk=item.pk).version)
    known_and_reserved_once(item)  # 9 left
    before = drawn("inventory_reservation")

    with another_reservation_holding(item, "4"):  # 5 left once it commits
        thread, result = in_thread(lambda: reserve("c-1", item.variant_id, "3"))  # 9 - 3 crosses nothing
        wait_until_blocked_on_a_row_lock()
    thread.join(timeout=20)

    [reservation] = result
    assert isinstance(reservation, Reservation), reservation
    assert reservation.state == ReservationState.ACTIVE
    assert levels(item) == (Decimal(10), Decimal(8))
    low = events_of("inventory.low_stock")
    assert [(decimal_from_quantity(e.available), decimal_from_quantity(e.threshold)) for e in low] == [
        (Decimal(2), Decimal(3))
    ]
    assert reservation.pk == before + 2  # the undone statement drew before + 1
    assert [e.reservation_id for e in events_of("inventory.reserved")][1:] == [str(reservation.pk)]
    assert StockMovement.objects.filter(reference=f"reservation:{reservation.pk}").count() == 1
    assert_ledger_matches()


def test_a_basket_whose_second_item_is_short_once_locked_moves_neither() -> None:
    apples = stocked(make_variant("APPLE"), "10")
    pears = stocked(make_variant("PEAR"), "5")
    basket = [(apples.variant_id, "1"), (pears.variant_id, "1")]
    reserve_stock(owner_type="cart", owner_id="c-0", lines=basket, warehouse_code="berlin-1")  # both known
    before = drawn("inventory_reservation")

    with another_reservation_holding(pears, "4"):  # pears: 0 left once it commits
        basket = [(apples.variant_id, "2"), (pears.variant_id, "2")]
        call = lambda: reserve_stock(owner_type="cart", owner_id="c-1", lines=basket, warehouse_code="berlin-1")  # noqa: E731
        thread, result = in_thread(call)
        wait_until_blocked_on_a_row_lock()  # apples locked (lower id), waiting for pears
    thread.join(timeout=20)

    [refusal] = result
    assert isinstance(refusal, OutOfStock), refusal
    assert "PEAR: asked for 2, 0 available" in refusal.message
    assert drawn("inventory_reservation") > before  # written, then undone
    assert levels(apples) == (Decimal(10), Decimal(1))  # the apples' UPDATE was undone with the rest
    assert levels(pears) == (Decimal(5), Decimal(5))
    assert not Reservation.objects.filter(owner_id="c-1").exists()
    assert len(events_of("inventory.reserved")) == 1
    assert_ledger_matches()


@pytest.mark.parametrize("several", [True, False])
@pytest.mark.parametrize("lock_last", [True, False])
@pytest.mark.parametrize("notify", [True, False])
def test_the_statement_is_short_enough_for_psycopg_to_keep_it_converted(
    notify: bool, lock_last: bool, several: bool
) -> None:
    # Longer texts are converted (split at every placeholder) again on every call, which doubled
    # the client's CPU per reservation when the lock-last statement first came out at 4,226 bytes.
    sql = first_reservation_sql.first_sql(notify, lock_last, several)
    assert len(sql.encode()) <= psycopg._queries.MAX_CACHED_STATEMENT_LENGTH


def reserved_rows() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type="inventory.reserved").order_by("id"))


def assert_event_of(row: OutboxEvent, reservation: Reservation, *lines: tuple[str, str]) -> None:
    """The event names the reservation in all three places, and is byte for byte what the bridge
    writes for the same envelope (fields in number order)."""
    envelope, message = unpack_envelope(bytes(row.payload))
    event: Any = message
    assert (row.aggregate_id, envelope.aggregate_id, event.reservation_id) == (str(reservation.pk),) * 3
    assert [(line.sku, decimal_from_quantity(line.quantity)) for line in event.lines] == [
        (sku, Decimal(qty)) for sku, qty in lines
    ]
    assert (event.owner_type, event.owner_id) == ("cart", reservation.owner_id)
    assert bytes(row.payload) == envelope.SerializeToString(deterministic=True)


def test_one_item_outside_a_transaction_writes_the_event_serialized_for_the_ids_length() -> None:
    item = stocked(make_variant("MILK"), "10")
    known_and_reserved_once(item)
    with CaptureQueriesContext(connection) as queries:
        second = reserve("c-1", item.variant_id, "2")
    assert len(queries) == 1  # the one statement, not the two-step path
    assert_event_of(reserved_rows()[-1], second, ("MILK", "2"))
    assert levels(item) == (Decimal(10), Decimal(3))
    assert_ledger_matches()


@pytest.mark.parametrize("basket", [False, True])
def test_an_id_longer_than_expected_undoes_the_statement_and_the_two_step_path_writes_it(basket: bool) -> None:
    milk, eggs = stocked(make_variant("MILK"), "10"), stocked(make_variant("EGGS"), "10")
    lines = [(milk.variant_id, "1")] + ([(eggs.variant_id, "1")] if basket else [])
    expected = [("MILK", "1")] + ([("EGGS", "1")] if basket else [])
    first = reserve_stock(owner_type="cart", owner_id="c-0", lines=lines, warehouse_code="berlin-1")  # both known
    longer_id = 10 ** len(str(first.pk)) * 10  # the next reservation id: two digits longer than the last
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('inventory_reservation', 'id'), %s)", [longer_id - 1])

    with CaptureQueriesContext(connection) as queries:
        longer = reserve_stock(owner_type="cart", owner_id="c-1", lines=lines, warehouse_code="berlin-1")
    assert len(queries) > 1  # undone (the id it drew is a gap), then the two-step path
    assert longer.pk == longer_id + 1
    assert [row.aggregate_id for row in reserved_rows()] == [str(first.pk), str(longer.pk)]
    assert_event_of(reserved_rows()[-1], longer, *expected)
    with CaptureQueriesContext(connection) as queries:
        again = reserve_stock(owner_type="cart", owner_id="c-2", lines=lines, warehouse_code="berlin-1")
    assert (len(queries), again.pk) == (1, longer_id + 2)  # the length learnt: one statement again
    assert_event_of(reserved_rows()[-1], again, *expected)
    assert levels(milk) == (Decimal(10), Decimal(3))
    assert_ledger_matches()
