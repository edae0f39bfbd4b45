from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.selectors import find_ledger_drift


class Command(BaseCommand):
    help = (
        "Check that the stock ledger adds up to every stock item's on-hand and reserved; lists each drift "
        "and exits with status 1 if there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--warehouse", help="only this warehouse's code")

    def handle(self, *args: Any, **options: Any) -> None:
        drifts = find_ledger_drift(options["warehouse"])
        for drift in drifts:
            self.stdout.write(drift.describe())
        if drifts:
            raise CommandError(f"{len(drifts)} stock item(s) do not match their ledger.")
        self.stdout.write(self.style.SUCCESS("The stock ledger matches every stock level."))
