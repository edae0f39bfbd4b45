from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import user_id_by_email
from core.errors import DomainError
from inventory.management.progress import ProgressBar
from inventory.services import import_stock
from inventory.services.import_rows import RowError


class Command(BaseCommand):
    help = (
        "Import stock levels from a CSV (header warehouse,sku,quantity,mode) or JSON Lines file. Every row is "
        "checked first; bad rows are listed with their line numbers and nothing is applied unless --partial. "
        "mode `set` makes the quantity the on-hand (a count), `add` adds it (a delivery). The same file is "
        "applied once only. Writes a ledger movement per changed row and announces the changes in "
        "inventory.adjusted_batch events of many items each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file name")
        parser.add_argument("--mode", choices=["set", "add"], help="for rows without a mode")
        parser.add_argument(
            "--partial", action="store_true", help="apply the good rows and skip the bad ones (each is listed)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and apply in a transaction that is rolled back: shows what would change",
        )
        parser.add_argument("--user", help="email of the person importing (recorded in the ledger)")
        parser.add_argument("--chunk-rows", type=int, help="rows per chunk (default INVENTORY_IMPORT_CHUNK_ROWS)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        actor_id = None
        if options["user"]:
            actor_id = user_id_by_email(options["user"])
            if actor_id is None:
                raise CommandError(f"There is no user {options['user']!r}.")
        label = "skipped" if options["partial"] else "bad row"

        def report_error(error: RowError) -> None:
            self.stderr.write(f"line {error.line}: {label}: {error.reason}")

        try:
            report = import_stock(
                path,
                fmt=options["format"],
                default_mode=options["mode"],
                partial=options["partial"],
                dry_run=options["dry_run"],
                actor_id=actor_id,
                chunk_rows=options["chunk_rows"],
                on_error=report_error,
                progress=ProgressBar(getattr(self.stderr, "_out", None), enabled=not options["no_progress"]),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None

        counts = (
            f"{report.rows_total} row(s): {report.rows_changed} changed, {report.rows_unchanged} unchanged, "
            f"{report.rows_skipped} skipped"
        )
        if report.status == "already_imported":
            previous = report.previous_import
            when = f" on {previous.created_at:%Y-%m-%d %H:%M} UTC" if previous else ""
            self.stdout.write(f"{path.name} was already imported (import {report.batch_id}{when}); nothing applied.")
        elif report.status == "rejected":
            raise CommandError(
                f"{report.rows_bad} bad row(s) of {report.rows_total} (listed above); nothing applied. "
                "Fix them, or apply the good rows with --partial."
            )
        elif report.status == "empty":
            self.stdout.write(f"Nothing to apply in {path.name}: {counts}.")
        elif report.status == "dry_run":
            self.stdout.write(f"Dry run of {path.name}, nothing applied: {counts}.")
        else:
            locked = f" Stock locked for {report.locked_seconds:.2f} s." if report.locked_seconds is not None else ""
            self.stdout.write(
                self.style.SUCCESS(f"Imported {path.name} as import {report.batch_id}: {counts}.{locked}")
            )
            if options["verbosity"] > 1 and report.phases:
                self.stdout.write(
                    "Phases: " + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in report.phases.items())
                )
