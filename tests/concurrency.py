"""Many clients at the same moment: real threads, each with its own PostgreSQL connection,
released together by a barrier (how the no-oversell and no-double-booking claims are proven)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections

SPARE_CONNECTIONS = 40  # left for other test runs sharing the server


def connection_budget(wanted: int) -> int:
    """How many of the clients may hold a connection at once: all of them when the server has
    room, else what it has (other test runs share it). Never fewer than 50."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        free = int(cursor.fetchone()[0])
    budget = min(wanted, free - SPARE_CONNECTIONS)
    assert budget >= min(wanted, 50), f"only {free} free connections on the server"
    return budget


def run_together(count: int, client: Callable[[int], Any], *, database: bool = True) -> list[Any]:
    """Start `count` threads at the same moment; each returns its client's result or exception.
    `database=False`: the clients hold no connection of the test run (they call a server)."""
    barrier = threading.Barrier(count)
    gate = threading.BoundedSemaphore(connection_budget(count) if database else count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            with gate:
                try:
                    results[index] = client(index)
                finally:
                    connections.close_all()  # this thread's own connection
        except BaseException as exc:  # reported by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung (deadlock?)"
    return results
