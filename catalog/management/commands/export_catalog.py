from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.services.catalog_file import file_format
from catalog.services.imports import export_rows, write_export
from core.errors import DomainError


class Command(BaseCommand):
    help = "Export the catalog, one row per variant, in the columns import_catalog reads (CSV or XLSX by the name)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            fmt = file_format(path.name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        rows = list(export_rows())
        path.write_bytes(write_export(rows, fmt))
        self.stdout.write(f"{len(rows)} variant(s) written to {path}.")
