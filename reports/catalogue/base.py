"""What every report returns, and the small helpers they share.

A report is a typed function `(ReportParameters) -> ReportResult`. The database aggregates (the
selectors of the app owning the rows); pandas shapes, ranks and models the aggregated frames.
Figures are exact sums from SQL, then float arithmetic for shares and rates, rounded for display:
reports inform decisions, the payments ledger stays the books.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from reports.parameters import ReportParameters


def frame(rows: Iterable[Mapping[str, Any]], columns: list[str], numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame of selector rows, numeric columns as float (Decimal sums from SQL)."""
    data = pd.DataFrame(list(rows), columns=columns)
    for column in numeric:
        data[column] = pd.to_numeric(data[column].astype(float), errors="coerce").fillna(0.0)
    return data


def period_starts(params: ReportParameters) -> list[date]:
    """The first day of each day, ISO week (Monday) or month that the period touches."""
    days = [params.start + timedelta(days=offset) for offset in range(params.days)]
    return sorted({period_start(day, params.granularity) for day in days})


def period_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def plain(value: Any) -> Any:
    """A JSON-friendly value for summaries and charts (numpy and pandas scalars, NaN as None)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) or np.isinf(value) else round(float(value), 4)
    if isinstance(value, (date, pd.Timestamp)):
        return value.isoformat()[:10]
    return value


def column(data: pd.DataFrame, name: str) -> list[Any]:
    return [plain(value) for value in data[name].tolist()]
