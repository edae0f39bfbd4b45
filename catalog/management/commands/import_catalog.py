from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.services.catalog_file import COLUMNS
from catalog.services.imports import import_catalog
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import categories, brands, products and variants (prices, units, tax class, attributes) from a CSV or "
        f"XLSX file, one row per variant, columns: {', '.join(COLUMNS)}. Every row is checked first and the "
        "problems are listed with their line numbers; then the file is applied in one transaction, all or "
        "nothing, through the catalog's services, and the same file only once. --dry-run lists what would change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            report = import_catalog(path.read_bytes(), path.name, apply=not options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(report.errors)} problem(s) in {path.name} (listed above); nothing applied.")
        for change in report.changes:
            self.stdout.write(str(change))
        verb = "applied" if report.applied else "would apply (dry run)"
        if report.imported_before:
            self.stdout.write(f"Note: this file was imported already ({report.imported_before}).")
        self.stdout.write(
            f"{path.name}: {report.rows} row(s) {verb}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} row(s) unchanged."
        )
