"""core.api.throttle_leases: the REST rate limits counted a lease at a time. Leases are counted in
Redis when taken, so no caller ever gets more than its limit however many processes serve it; a
caller is refused early by at most the other processes' unspent leases; small limits stay exact."""

import threading
from typing import Any

import pytest

from core.api.throttle_leases import Leases, Refused, lease_size
from core.cache import redis_client
from tests.api.support import count_round_trips, pinned_clock, with_user_rate


def counted(ident: str) -> int:
    keys = redis_client().keys(f"*throttle:user:{ident}:*")
    return sum(int(redis_client().get(key)) for key in keys)


def test_many_processes_never_let_a_caller_past_its_limit(settings: Any) -> None:
    with_user_rate(settings, "640/hour")  # leases of 10 calls
    clock = pinned_clock()  # the hour does not turn mid-test
    processes = [Leases(clock) for _ in range(3)]
    allowed = [0] * 12
    refused: list[float] = []

    def call(slot: int) -> None:
        leases = processes[slot % 3]
        while True:
            try:
                leases.allow("user", "lease-many")
            except Refused as refusal:
                refused.append(refusal.wait)
                return
            allowed[slot] += 1

    threads = [threading.Thread(target=call, args=(slot,)) for slot in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counted("lease-many") == 640  # every lease counted, never more than the limit
    assert 640 - 3 * (lease_size(640) - 1) <= sum(allowed) <= 640
    assert len(refused) == 12 and min(refused) > 0


def test_a_small_limit_stays_exact_and_costs_a_round_trip_a_call(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_user_rate(settings, "5/min")
    trips = count_round_trips(monkeypatch)
    clock = pinned_clock()
    first, second = Leases(clock), Leases(clock)
    for leases in (first, second, first, second, first):
        leases.allow("user", "lease-small")
    with pytest.raises(Refused):
        second.allow("user", "lease-small")
    assert (len(trips), counted("lease-small")) == (6, 5)


def test_a_large_limit_costs_a_round_trip_a_lease(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with_user_rate(settings, "100000/min")
    trips = count_round_trips(monkeypatch)
    leases = Leases(pinned_clock())
    values = [leases.allow("user", "lease-large", lambda: ["missing-key"]) for _ in range(200)]
    assert len(trips) == 4  # leases of 64
    assert values[0] == [None] and values[1] is None  # read along only in the round trip
    assert counted("lease-large") == 256
