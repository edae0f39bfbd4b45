"""Customers: new against returning, RFM segments, monthly cohorts and historic value.

Only orders that were not cancelled count; an order's value is what the customer paid for it (as
picked when picked, else as placed) less refunds.

RFM, as of the last day of the period:
- R (recency, days since the last order): 0-7 days 5, 8-14 4, 15-30 3, 31-60 2, older 1.
- F (orders in the period): 8+ 5, 5-7 4, 3-4 3, 2 2, 1 1.
- M (value in the period): quintile among the period's customers: ceil(5 * rank / n), the rank
  ascending by value with ties sharing the highest rank.
Segments, the first rule that matches: champions (R>=4, F>=4, M>=4); loyal (R>=3, F>=3); new
(R>=4, F=1); promising (R>=4); at_risk (R<=2, F>=3); hibernating (R<=2); needs_attention (the rest).
"""

import math
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from orders import selectors as order_selectors
from reports.catalogue.base import column, frame, period_start, period_starts, plain
from reports.catalogue.result import ReportResult
from reports.parameters import ReportParameters

ACTIVITY = ["customer_id", "period", "orders", "value", "last_placed_at"]


def _activity(params: ReportParameters, granularity: str) -> pd.DataFrame:
    rows = order_selectors.customer_activity(params.scope(), granularity=granularity)
    return frame(rows, ACTIVITY, numeric=("orders", "value"))


def _first_days(params: ReportParameters, customer_ids: list[int]) -> dict[int, date]:
    tz = ZoneInfo(params.time_zone)
    firsts = order_selectors.first_orders(customer_ids, using=params.scope().using)
    return {customer: moment.astimezone(tz).date() for customer, moment in firsts.items()}


def new_and_returning(params: ReportParameters) -> ReportResult:
    """Per period: customers who ordered, of them new (their first order ever is in the period) and
    returning, and the orders of each."""
    activity = _activity(params, params.granularity)
    firsts = _first_days(params, activity["customer_id"].unique().tolist())
    activity["first_period"] = activity["customer_id"].map(
        lambda customer: period_start(firsts[customer], params.granularity)
    )
    activity["new"] = activity["first_period"] == activity["period"]
    grouped = activity.groupby("period")
    data = (
        pd.DataFrame(
            {
                "customers": grouped["customer_id"].nunique(),
                "new": grouped["new"].sum(),
                "orders_new": activity[activity["new"]].groupby("period")["orders"].sum(),
                "orders_returning": activity[~activity["new"]].groupby("period")["orders"].sum(),
            }
        )
        .reindex(pd.Index(period_starts(params), name="period"))
        .fillna(0)
        .astype(int)
    )
    data["returning"] = data["customers"] - data["new"]
    data = data.reset_index()[["period", "customers", "new", "returning", "orders_new", "orders_returning"]]
    data["period"] = data["period"].map(lambda day: day.isoformat())
    new_customers = sum(1 for day in firsts.values() if params.start <= day <= params.end)
    summary = {
        "customers": int(activity["customer_id"].nunique()),
        "new_customers": new_customers,
        "returning_customers": int(activity["customer_id"].nunique()) - new_customers,
    }
    chart = {
        "kind": "bar",
        "stacked": True,
        "labels": column(data, "period"),
        "datasets": [
            {"label": "new", "data": column(data, "new")},
            {"label": "returning", "data": column(data, "returning")},
        ],
    }
    return ReportResult(frame=data, summary=summary, chart=chart)


def _recency_score(days: int) -> int:
    return 5 if days <= 7 else 4 if days <= 14 else 3 if days <= 30 else 2 if days <= 60 else 1


def _frequency_score(orders: int) -> int:
    return 5 if orders >= 8 else 4 if orders >= 5 else 3 if orders >= 3 else 2 if orders == 2 else 1


def segment(r: int, f: int, m: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r >= 4 and f == 1:
        return "new"
    if r >= 4:
        return "promising"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 2:
        return "hibernating"
    return "needs_attention"


def rfm(params: ReportParameters) -> ReportResult:
    """One row per customer who ordered in the period: recency, frequency, monetary, their scores and
    segment, and historic value (every order up to the period's end, whenever placed)."""
    tz = ZoneInfo(params.time_zone)
    activity = _activity(params, "day")
    columns = [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "segment",
        "first_order",
        "historic_orders",
        "historic_value",
    ]
    if activity.empty:
        return ReportResult(
            frame=pd.DataFrame(columns=columns),
            summary={"customers": 0, "segments": {}},
            chart={"kind": "bar", "labels": [], "datasets": [{"label": "customers", "data": []}]},
        )
    per_customer = activity.groupby("customer_id").agg(
        frequency=("orders", "sum"), monetary=("value", "sum"), last=("last_placed_at", "max")
    )
    per_customer["recency_days"] = per_customer["last"].map(
        lambda moment: (params.end - pd.Timestamp(moment).tz_convert(tz).date()).days
    )
    n = len(per_customer)
    ranks = per_customer["monetary"].rank(method="max")
    per_customer["m"] = ranks.map(lambda rank: math.ceil(5 * rank / n)).astype(int)
    per_customer["r"] = per_customer["recency_days"].map(_recency_score).astype(int)
    per_customer["f"] = per_customer["frequency"].astype(int).map(_frequency_score).astype(int)
    per_customer["segment"] = [
        segment(r, f, m) for r, f, m in zip(per_customer["r"], per_customer["f"], per_customer["m"], strict=True)
    ]
    history_params = ReportParameters(
        start=date(2000, 1, 1), end=params.end, zone=params.zone, warehouse=params.warehouse, currency=params.currency
    )
    history = (
        _activity(history_params, "month")
        .groupby("customer_id")
        .agg(historic_orders=("orders", "sum"), historic_value=("value", "sum"))
    )
    firsts = _first_days(params, per_customer.index.tolist())
    data = per_customer.join(history).reset_index()
    data["first_order"] = data["customer_id"].map(lambda customer: firsts[customer].isoformat())
    data["frequency"] = data["frequency"].astype(int)
    data["historic_orders"] = data["historic_orders"].astype(int)
    data[["monetary", "historic_value"]] = data[["monetary", "historic_value"]].round(2)
    data = data[columns].sort_values(["segment", "customer_id"]).reset_index(drop=True)
    counts = data["segment"].value_counts().sort_index()
    summary = {
        "customers": n,
        "segments": {name: int(count) for name, count in counts.items()},
        "mean_historic_value": plain(round(float(data["historic_value"].mean()), 2)),
    }
    chart = {
        "kind": "bar",
        "labels": list(counts.index),
        "datasets": [{"label": "customers", "data": [int(count) for count in counts]}],
    }
    return ReportResult(frame=data, summary=summary, chart=chart)


def cohorts(params: ReportParameters) -> ReportResult:
    """Monthly cohorts (the local month of a customer's first order) that start in the period: their
    size and the share of them ordering again in each following month (month 0 is 1.0)."""
    activity = _activity(params, "month")
    firsts = _first_days(params, activity["customer_id"].unique().tolist())
    activity["cohort"] = activity["customer_id"].map(lambda customer: firsts[customer].replace(day=1))
    activity = activity[activity["cohort"] >= params.start.replace(day=1)]
    if activity.empty:
        data = pd.DataFrame(columns=["cohort", "size"])
        return ReportResult(
            frame=data, summary={"cohorts": 0}, chart={"kind": "heatmap", "x": [], "y": [], "values": []}
        )
    activity["offset"] = [
        (p.year - c.year) * 12 + p.month - c.month for p, c in zip(activity["period"], activity["cohort"], strict=True)
    ]
    counts = activity.groupby(["cohort", "offset"])["customer_id"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=range(max(int(counts.columns.max()), 0) + 1), fill_value=0)
    sizes = counts[0]
    shares = counts.div(sizes, axis=0).round(4)
    for cohort_month in shares.index:  # months after the period's end are unknown, not zero
        for offset in shares.columns:
            year, month = divmod(cohort_month.month - 1 + offset, 12)
            if date(cohort_month.year + year, month + 1, 1) > params.end:
                shares.loc[cohort_month, offset] = np.nan
    data = shares.rename(columns=lambda offset: f"m{offset}")
    data.insert(0, "size", sizes.astype(int))
    data = data.reset_index()
    data["cohort"] = data["cohort"].map(lambda month: month.isoformat()[:7])
    month_columns = [name for name in data.columns if name.startswith("m")]
    values = [[plain(value) for value in row] for row in data[month_columns].itertuples(index=False)]
    retention_1 = data["m1"].dropna() if "m1" in data else pd.Series(dtype=float)
    summary = {
        "cohorts": len(data),
        "customers": int(data["size"].sum()),
        "mean_month_1_retention": plain(float(retention_1.mean())) if len(retention_1) else None,
    }
    chart = {"kind": "heatmap", "x": month_columns, "y": column(data, "cohort"), "values": values}
    return ReportResult(frame=data, summary=summary, chart=chart)
