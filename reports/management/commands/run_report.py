"""Compute a report now and write it as CSV, XLSX or JSON: `manage.py run_report sales --from 2026-03-01
--to 2026-03-31 --format xlsx --output march.xlsx`. Progress goes to stderr; bad parameters exit 2."""

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import exports
from reports.catalogue import REPORTS, get_report
from reports.errors import InvalidReportParameters, ReportNotFound


class Command(BaseCommand):
    help = "Compute a report (see the README, Reports) and write it to a file or stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=f"one of: {', '.join(REPORTS)}")
        parser.add_argument("--from", dest="start", required=True, help="first local day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last local day, YYYY-MM-DD")
        parser.add_argument("--warehouse", default="")
        parser.add_argument("--zone", default="")
        parser.add_argument("--currency", default="")
        parser.add_argument("--granularity", default="day", help="day, week or month")
        parser.add_argument("--by", default="", help="sales: period, category, sku, zone, slot_hour or gateway")
        parser.add_argument("--horizon", default="14", help="forecasts: days ahead")
        parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        parser.add_argument("--output", default="", help="a file; stdout for csv and json when omitted")

    def _progress(self, step: int, label: str) -> None:
        bar = "#" * (step * 10) + "." * ((3 - step) * 10)
        self.stderr.write(f"\r[{bar}] {step}/3 {label}".ljust(70), ending="")
        self.stderr.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] == "xlsx" and not options["output"]:
            raise CommandError("--format xlsx needs --output FILE")
        raw = {
            key: options[key]
            for key in ("start", "end", "warehouse", "zone", "currency", "granularity", "by", "horizon")
            if options[key]
        }
        try:
            report = get_report(options["name"])
            params = report.parameters(raw)
        except ReportNotFound as exc:
            raise CommandError(exc.message) from None
        except InvalidReportParameters as exc:
            problems = "; ".join(f"--{name}: {' '.join(messages)}" for name, messages in exc.fields.items())
            raise CommandError(f"{exc.message} {problems}") from None
        started = time.monotonic()
        self._progress(1, f"computing {report.name} for {params.start} to {params.end}")
        result = report.run(params)
        self._progress(2, f"writing {len(result.frame)} rows as {options['format']}")
        output = Path(options["output"]) if options["output"] else None
        if options["format"] == "xlsx":
            assert output is not None  # checked above
            exports.write_xlsx(result, output, title=report.title)
        elif options["format"] == "csv":
            if output:
                exports.write_csv(result, output)
            else:
                result.frame.to_csv(sys.stdout, index=False)
        else:
            text = json.dumps(exports.as_json(result), indent=2, default=str)
            output.write_text(text) if output else self.stdout.write(text)
        self._progress(3, f"done: {len(result.frame)} rows in {time.monotonic() - started:.1f} s")
        self.stderr.write("")
