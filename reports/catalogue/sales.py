"""Sales: orders, items, gross, cancellations, refunds, net and average order value.

- orders: orders placed in the period (each counted on its local placing day); cancellations: those
  of them cancelled since. gross: the value of their lines as placed (goods only, no delivery fees);
  cancelled: the line value of the cancelled ones; refunds: what was refunded on the others, shared
  over an order's lines by their value. net = gross - cancelled - refunds. AOV = net / orders kept.
- by: period (day, week or month), category, sku, zone, slot_hour (local start hour of the
  delivery slot) or gateway. The summary compares the period's totals with the period of the same
  length just before it.
"""

from typing import Any

import pandas as pd

from orders import selectors as order_selectors
from reports.catalogue.base import column, frame, period_starts, plain, ratio
from reports.catalogue.result import ReportResult
from reports.parameters import ReportParameters

FIGURES = ["orders", "cancellations", "items", "gross", "cancelled", "refunds"]
MONEY = ["gross", "cancelled", "refunds", "net", "aov"]


def _aggregated(params: ReportParameters, by: str) -> pd.DataFrame:
    rows = order_selectors.sales_aggregates(params.scope(), by=by, granularity=params.granularity)
    data = frame(rows, ["key", *FIGURES], numeric=tuple(FIGURES))
    if by == "period":  # every period of the range is a row, empty ones with zeros
        data = data.set_index("key").reindex(pd.Index(period_starts(params), name="key"), fill_value=0.0).reset_index()
    data["net"] = data["gross"] - data["cancelled"] - data["refunds"]
    kept = data["orders"] - data["cancellations"]
    data["aov"] = (data["net"] / kept.where(kept > 0)).fillna(0.0)
    data[MONEY] = data[MONEY].round(2)
    data[["orders", "cancellations"]] = data[["orders", "cancellations"]].astype(int)
    data["items"] = data["items"].round(3)
    return data.rename(columns={"key": by})


def _totals(data: pd.DataFrame) -> dict[str, Any]:
    """Totals of a by-period frame (each order sits in exactly one period)."""
    totals = {
        name: plain(round(float(data[name].sum()), 2)) for name in ["items", "gross", "cancelled", "refunds", "net"]
    }
    totals["orders"] = int(data["orders"].sum())
    totals["cancellations"] = int(data["cancellations"].sum())
    kept = totals["orders"] - totals["cancellations"]
    totals["aov"] = round(totals["net"] / kept, 2) if kept else 0.0
    return totals


def sales(params: ReportParameters) -> ReportResult:
    data = _aggregated(params, params.by)
    by_period = data if params.by == "period" else _aggregated(params, "period")
    totals = _totals(by_period)
    previous = _totals(_aggregated(params.previous(), "period"))
    change = {name: ratio(totals[name] - previous[name], previous[name]) for name in ("orders", "net", "aov")}
    summary = {"currency": params.currency_or_default, "totals": totals, "previous": previous, "change": change}
    if params.by == "period":
        data["period"] = data["period"].map(lambda day: day.isoformat())
        chart = {
            "kind": "line",
            "labels": column(data, "period"),
            "datasets": [
                {"label": "gross", "data": column(data, "gross")},
                {"label": "net", "data": column(data, "net")},
            ],
        }
    else:
        data[params.by] = data[params.by].fillna("(none)").astype(str)
        chart = {
            "kind": "bar",
            "labels": column(data, params.by),
            "datasets": [{"label": "net", "data": column(data, "net")}],
        }
    return ReportResult(frame=data, summary=summary, chart=chart)
