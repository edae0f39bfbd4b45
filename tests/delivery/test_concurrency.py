"""No overbooking under concurrency: real threads, each with its own Postgres connection, started
together by a barrier against one slot."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from delivery.errors import DeliveryError
from delivery.models import DeliverySlot, HoldState, SlotHold
from delivery.services.holds import hold_slot
from tests.delivery.factories import make_customer, make_slot, make_zone

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50


def race(calls: list[Callable[[], object]]) -> Counter[str]:
    """Run the calls at once, one thread and one database connection each; count the outcomes
    ("ok" or the error code)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            outcome = "ok"
        except DeliveryError as exc:
            outcome = exc.code
        except Exception as exc:  # anything else is a failure of the test, reported below
            outcome = f"unexpected {type(exc).__name__}: {exc}"
        finally:
            connection.close()  # this thread's own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(calls), "a thread did not finish"
    return Counter(outcomes)


@pytest.mark.parametrize("run", range(5))
def test_fifty_concurrent_holds_on_a_slot_of_five_places_give_exactly_five(run: int) -> None:
    slot = make_slot(make_zone(f"z{run}"), capacity=5)
    customers = [make_customer(f"racer{run}-{n}@example.com").pk for n in range(THREADS)]

    outcomes = race([lambda c=c: hold_slot(slot_id=slot.pk, customer_id=c) for c in customers])

    assert outcomes == Counter({"ok": 5, "slot_full": THREADS - 5}), outcomes
    slot.refresh_from_db()
    assert slot.reserved == 5
    assert SlotHold.objects.filter(slot=slot, state=HoldState.ACTIVE).count() == 5


def test_one_customer_racing_for_many_slots_gets_one_hold() -> None:
    zone = make_zone()
    slots = [make_slot(zone, capacity=3) for _ in range(10)]
    customer = make_customer().pk

    outcomes = race([lambda s=s: hold_slot(slot_id=s.pk, customer_id=customer) for s in slots])

    assert outcomes == Counter({"ok": 1, "hold_already_active": 9}), outcomes
    assert sum(DeliverySlot.objects.filter(zone=zone).values_list("reserved", flat=True)) == 1


@pytest.mark.django_db(transaction=True)
def test_booking_a_place_locks_its_slot_not_the_whole_zone() -> None:
    """A booking holds its slot's row until its order commits; other slots of the zone (and the
    zone itself, which orders and carts point at) must stay free meanwhile."""
    from django.db import connections

    from delivery.services.holds import book_hold, hold_slot
    from tests.delivery.factories import make_customer as a_customer
    from tests.delivery.factories import make_slot as a_slot
    from tests.delivery.factories import make_zone as a_zone

    zone = a_zone("lock-zone")
    first, second = a_slot(zone, capacity=2), a_slot(zone, capacity=2)
    hold = hold_slot(slot_id=first.pk, customer_id=a_customer().pk)
    other = hold_slot(slot_id=second.pk, customer_id=a_customer().pk)
    booked, release = threading.Event(), threading.Event()

    def booking_in_a_long_transaction() -> None:
        try:
            with transaction.atomic():
                book_hold(hold.pk, "order-1")
                booked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=booking_in_a_long_transaction)
    thread.start()
    try:
        assert booked.wait(timeout=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            cursor.execute("SELECT id FROM delivery_zone WHERE id = %s FOR UPDATE", [zone.pk])
        book_hold(other.pk, "order-2")  # another slot of the zone books meanwhile
    finally:
        release.set()
        thread.join(timeout=30)
