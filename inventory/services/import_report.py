"""What a stock import reports (its counts, status, phases and lock time), how it tells about its
progress, and the exceptions its two paths (imports.py) use to roll back."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from inventory.models import ImportBatch


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass
class ImportReport:
    file_name: str
    status: str = "pending"  # applied | dry_run | rejected | already_imported | empty
    rows_total: int = 0
    rows_bad: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    batch_id: int | None = None
    locked_seconds: float | None = None  # how long the applied import held its stock items locked
    phases: dict[str, float] = field(default_factory=dict, repr=False)  # seconds per phase (PostgreSQL)
    # PostgreSQL: the ledger rows and events written before the lock did not hold under it (an item
    # changed meanwhile, or a row was refused): they were written again under the lock.
    written_under_lock: bool = False
    previous_import: ImportBatch | None = field(default=None, repr=False)


@contextmanager
def timed(report: ImportReport, phase: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.phases[phase] = report.phases.get(phase, 0.0) + time.monotonic() - started


class Rejected(Exception):
    """A chunk failed its re-check in pass 2: roll the whole import back."""


class ItemsCreatedMeanwhile(Exception):
    """Another transaction created a stock item the import was about to create: apply again."""


class DryRunDone(Exception):
    """Roll back a dry run that applied everything to see what it would do."""
