"""No overbooking under concurrency: real threads, each with its own Postgres connection, started
together by a barrier against one slot."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

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
