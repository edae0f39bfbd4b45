"""A report's frame as CSV or XLSX (XlsxWriter), and its JSON form. Frames are aggregated, so small."""

import json
from pathlib import Path
from typing import Any

import pandas as pd

from reports.catalogue.base import plain
from reports.catalogue.result import ReportResult


def write_csv(result: ReportResult, path: Path) -> None:
    result.frame.to_csv(path, index=False)


def write_xlsx(result: ReportResult, path: Path, *, title: str) -> None:
    """The table on a first sheet (header frozen, filterable), the summary on a second."""
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        result.frame.to_excel(writer, sheet_name="report", index=False)
        sheet = writer.sheets["report"]
        sheet.freeze_panes(1, 0)
        if len(result.frame.columns):
            sheet.autofilter(0, 0, len(result.frame), len(result.frame.columns) - 1)
        summary = pd.DataFrame(
            [
                (key, json.dumps(value, default=str) if isinstance(value, (dict, list)) else value)
                for key, value in result.summary.items()
            ],
            columns=[title, "value"],
        )
        summary.to_excel(writer, sheet_name="summary", index=False)


def as_json(result: ReportResult) -> dict[str, Any]:
    rows = [{key: plain(value) for key, value in row.items()} for row in result.frame.to_dict(orient="records")]
    return {"summary": result.summary, "chart": result.chart, "rows": rows}
