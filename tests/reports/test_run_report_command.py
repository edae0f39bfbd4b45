"""`manage.py run_report`: files in each format, progress on stderr, bad parameters refused."""

import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_writes_xlsx_and_json_with_progress_on_stderr(sales_history, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stderr = StringIO()
    target = tmp_path / "sales.xlsx"
    call_command(
        "run_report",
        "sales",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-03",
        "--zone",
        "mitte",
        "--format",
        "xlsx",
        "--output",
        str(target),
        stderr=stderr,
    )
    assert "3/3 done: 2 rows" in stderr.getvalue()
    sheet = openpyxl.load_workbook(target, read_only=True)["report"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("period", "orders", "cancellations") and rows[1][:2] == ("2026-03-02", 2)
    out = StringIO()
    call_command(
        "run_report",
        "sales",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-03",
        "--zone",
        "mitte",
        "--by",
        "sku",
        "--format",
        "json",
        stdout=out,
        stderr=StringIO(),
    )
    assert [row["sku"] for row in json.loads(out.getvalue())["rows"]] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nonsense", "--from", "2026-03-01", "--to", "2026-03-02"], "There is no report 'nonsense'"),
        (["sales", "--from", "2026-03-05", "--to", "2026-03-01"], "--end: The period ends before it starts."),
        (["sales", "--from", "yesterday", "--to", "2026-03-01"], "--start: 'yesterday' is not a date"),
    ],
)
def test_bad_parameters_exit_non_zero_with_a_clear_message(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("run_report", *arguments, stderr=StringIO())
