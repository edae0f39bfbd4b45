"""What a benchmark's statements cost and what PostgreSQL's backends wait on, for the benchmarks'
"where does the time go" lines: statements named by kind, timed per kind on Django's connection,
and pg_stat_activity sampled during a run.
"""

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection

TRANSACTION_OPEN, SLOT_LOCKED = "transaction open", "slot row locked"
COMMIT, ON_COMMIT = "COMMIT", "on-commit callbacks (Celery publish)"
SPANS = (COMMIT, ON_COMMIT, TRANSACTION_OPEN, SLOT_LOCKED)  # what timing_statements records besides statements

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
_JOINED = re.compile(r'\bJOIN\s+"?(\w+)"?', re.IGNORECASE)
_LOCKING = re.compile(r'\bFOR (?:NO KEY )?UPDATE(?: OF "?\w+"?)?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """`SELECT orders_cart JOIN accounts_address FOR UPDATE OF orders_cart`: the verb, the table, the
    tables joined (a FOR UPDATE without OF locks their rows too) and the row lock taken."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "NOTIFY", "COMMIT", "BEGIN"):
        return f"{verb} (savepoint)" if verb in ("SAVEPOINT", "RELEASE") else verb
    found, joined, locking = _TABLE.search(sql), _JOINED.findall(sql), _LOCKING.search(sql)
    lock = " " + locking.group(0).replace('"', "") if locking else ""
    # pg_stat_activity cuts statements at track_activity_query_size (1 kB): long column lists lose the rest.
    table = found.group(1) if found else ("(text cut before FROM)" if len(sql) >= 1000 else "?")
    return f"{verb} {table}{' JOIN ' + ', '.join(joined) if joined else ''}{lock}"


@contextmanager
def timing_statements(spent: dict[str, list[float]]) -> Iterator[None]:
    """Time every statement by kind, the COMMITs and the on-commit callbacks of this connection;
    also how long each transaction stays open, and how long it holds a delivery slot's row lock
    (every other placement for that slot, or for any slot its lock reaches, waits that long)."""
    since: dict[str, float] = {}

    def statement(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        begun = time.perf_counter()
        kind = statement_kind(sql)
        since.setdefault(TRANSACTION_OPEN, begun)
        if kind.split(" ", 1)[-1].startswith("delivery_deliveryslot") and "FOR UPDATE" in kind:  # SELECT or WITH
            since.setdefault(SLOT_LOCKED, begun)
        try:
            return execute(sql, params, many, context)
        finally:
            spent[kind].append(time.perf_counter() - begun)

    def timed(name: str, function: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            begun = time.perf_counter()
            try:
                function()
            finally:
                ended = time.perf_counter()
                spent[name].append(ended - begun)
                if name == COMMIT:
                    for span, start in since.items():
                        spent[span].append(ended - start)
                    since.clear()

        return run

    connection.ensure_connection()
    commit, hooks = connection._commit, connection.run_and_clear_commit_hooks  # type: ignore[attr-defined]
    connection._commit = timed(COMMIT, commit)  # type: ignore[attr-defined]
    connection.run_and_clear_commit_hooks = timed(ON_COMMIT, hooks)  # type: ignore
    try:
        with connection.execute_wrapper(statement):
            yield
    finally:
        del connection._commit, connection.run_and_clear_commit_hooks  # type: ignore[attr-defined]


SAMPLE = """SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"""


@contextmanager
def sampling_waits(database_url: str, into: Counter[str], every: float = 0.02) -> Iterator[None]:
    """Every `every` s, what each busy backend of the bench database does: a statement running or
    waiting (on a lock: which statement), or the transaction idle while the client's Python works."""
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            while not stop.wait(every):
                for state, wait_type, wait, query in conn.execute(SAMPLE).fetchall():
                    if state != "active":
                        into["idle in transaction (the client works)"] += 1
                    elif wait_type in (None, "Activity"):
                        into[f"running {statement_kind(query)}"] += 1
                    else:
                        into[f"waiting {wait_type}:{wait} in {statement_kind(query)}"] += 1

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def report_waits(name: str, waits: Counter[str], out: Callable[[str], None], top: int = 6) -> None:
    total = sum(waits.values())
    if not total:
        return
    out(f"  {name}: busy backends sampled every 20 ms ({total} samples), most frequent:")
    for what, count in waits.most_common(top):
        out(f"    {count / total:5.1%} {what}")
