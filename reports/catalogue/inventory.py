"""Inventory: ABC x XYZ classes, days of cover and stock-out days, forecasts, reorder points.

- ABC: SKUs of a warehouse by their share of its line revenue in the period, largest first; A
  while the revenue share before the SKU is under 80%, B under 95%, else C.
- XYZ: coefficient of variation (population standard deviation / mean) of weekly demand, over
  the ISO weeks the period touches, empty weeks as zero: X up to 0.5, Y up to 1.0, Z above (and
  SKUs without demand). Ask for whole weeks for fair figures.
- Days of cover: available now (on hand - reserved) / mean daily demand over the period.
- Stock-out days: days of the period whose closing on-hand level (today's level less the ledger's
  later movements) was zero or less, from the day the stock item existed.
- Reorder: mean daily demand mu and its sample standard deviation sigma over the period's days,
  lead time L and service level per warehouse (ReplenishmentPolicy; z its normal quantile):
  safety stock SS = z * sigma * sqrt(L), reorder point ROP = mu * L + SS. When available <= ROP the
  suggested order is ceil(ROP + mu * review days - available), else 0.
"""

import math
from datetime import timedelta
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from reports.catalogue import forecasting
from reports.catalogue.base import column, frame, plain
from reports.catalogue.result import ReportResult
from reports.models import ReplenishmentPolicy
from reports.parameters import ReportParameters

SERIES = ["warehouse", "sku"]


def daily_demand(params: ReportParameters) -> pd.DataFrame:
    """Demand per (warehouse, sku) and local day of the period: a dense frame, days as columns."""
    rows = order_selectors.daily_demand(params.scope())
    data = frame(rows, ["day", "order__warehouse_code", "sku", "quantity", "revenue"], numeric=("quantity", "revenue"))
    data = data.rename(columns={"order__warehouse_code": "warehouse"})
    days = pd.Index([params.start + timedelta(days=offset) for offset in range(params.days)], name="day")
    if data.empty:
        return pd.DataFrame(columns=days, index=pd.MultiIndex.from_tuples([], names=SERIES), dtype=float)
    return data.pivot_table(index=SERIES, columns="day", values="quantity", aggfunc="sum", fill_value=0.0).reindex(
        columns=days, fill_value=0.0
    )


def _revenue(params: ReportParameters) -> pd.Series:
    rows = order_selectors.daily_demand(params.scope())
    data = frame(rows, ["day", "order__warehouse_code", "sku", "quantity", "revenue"], numeric=("quantity", "revenue"))
    return data.rename(columns={"order__warehouse_code": "warehouse"}).groupby(SERIES)["revenue"].sum()


def abc_xyz(params: ReportParameters) -> ReportResult:
    demand = daily_demand(params)
    revenue = _revenue(params)
    data = pd.DataFrame({"revenue": revenue}).reset_index()
    data = data.sort_values(["warehouse", "revenue", "sku"], ascending=[True, False, True]).reset_index(drop=True)
    data["share"] = data["revenue"] / data.groupby("warehouse")["revenue"].transform("sum")
    data["cumulative_share"] = data.groupby("warehouse")["share"].cumsum()
    before = data["cumulative_share"] - data["share"]
    data["abc"] = np.where(before < 0.80 - 1e-9, "A", np.where(before < 0.95 - 1e-9, "B", "C"))
    weeks = demand.T.groupby(lambda day: day - timedelta(days=day.weekday())).sum().T
    mean = weeks.mean(axis=1)
    cv = weeks.std(axis=1, ddof=0) / mean.where(mean > 0)
    stats = pd.DataFrame({"weekly_mean": mean, "weekly_cv": cv}).reset_index()
    data = data.merge(stats, on=SERIES, how="left")
    data["xyz"] = np.where(data["weekly_cv"] <= 0.5, "X", np.where(data["weekly_cv"] <= 1.0, "Y", "Z"))
    data["class"] = data["abc"] + data["xyz"]
    data[["revenue"]] = data[["revenue"]].round(2)
    data[["share", "cumulative_share", "weekly_mean", "weekly_cv"]] = data[
        ["share", "cumulative_share", "weekly_mean", "weekly_cv"]
    ].round(4)
    matrix = [[int(((data["abc"] == a) & (data["xyz"] == x)).sum()) for x in "XYZ"] for a in "ABC"]
    summary = {
        "skus": len(data),
        "matrix": {a: dict(zip("XYZ", row, strict=True)) for a, row in zip("ABC", matrix, strict=True)},
    }
    chart = {"kind": "heatmap", "x": ["X", "Y", "Z"], "y": ["A", "B", "C"], "values": matrix}
    return ReportResult(frame=data, summary=summary, chart=chart)


def _stock(params: ReportParameters) -> pd.DataFrame:
    rows = inventory_selectors.stock_levels(warehouse=params.warehouse, using=params.scope().using)
    data = frame(
        rows, ["warehouse__code", "variant__sku", "on_hand", "reserved", "created_at"], numeric=("on_hand", "reserved")
    )
    data = data.rename(columns={"warehouse__code": "warehouse", "variant__sku": "sku"})
    data["available"] = data["on_hand"] - data["reserved"]
    return data


def _stockout_days(params: ReportParameters, stock: pd.DataFrame) -> pd.Series:
    """Days of the period closing at or below zero on hand, per series."""
    start, _ = params.bounds()
    rows = inventory_selectors.on_hand_changes_by_day(
        start, time_zone=params.time_zone, warehouse=params.warehouse, using=params.scope().using
    )
    changes = frame(
        rows, ["day", "stock_item__warehouse__code", "stock_item__variant__sku", "delta"], numeric=("delta",)
    ).rename(columns={"stock_item__warehouse__code": "warehouse", "stock_item__variant__sku": "sku"})
    by_series = {key: group.set_index("day")["delta"] for key, group in changes.groupby(SERIES)}
    tz = ZoneInfo(params.time_zone)
    days = [params.start + timedelta(days=offset) for offset in range(params.days)]
    result = {}
    for row in stock.itertuples(index=False):
        deltas = by_series.get((row.warehouse, row.sku), pd.Series(dtype=float))
        existed = pd.Timestamp(row.created_at).tz_convert(tz).date()
        count = 0
        for day in days:
            if day < existed:
                continue
            closing = row.on_hand - float(deltas[deltas.index > day].sum())
            count += closing <= 0
        result[(row.warehouse, row.sku)] = count
    return pd.Series(result, dtype=int)


def cover(params: ReportParameters) -> ReportResult:
    stock = _stock(params)
    demand = daily_demand(params)
    mean = demand.mean(axis=1) if not demand.empty else pd.Series(dtype=float)
    data = stock.drop(columns="created_at").set_index(SERIES)
    daily = mean.reindex(data.index).fillna(0.0)
    data["mean_daily_demand"] = daily.round(3)
    data["days_of_cover"] = (data["available"] / daily.where(daily > 0)).round(1)
    data["stockout_days"] = _stockout_days(params, stock).reindex(data.index).fillna(0).astype(int)
    data = data.reset_index()
    summary = {
        "skus": len(data),
        "stocked_out_skus": int((data["stockout_days"] > 0).sum()),
        "stockout_days": int(data["stockout_days"].sum()),
    }
    top = data.sort_values(["stockout_days", "sku"], ascending=[False, True]).head(20)
    chart = {
        "kind": "bar",
        "labels": [f"{w} {s}" for w, s in zip(top["warehouse"], top["sku"], strict=True)],
        "datasets": [{"label": "stock-out days", "data": column(top, "stockout_days")}],
    }
    return ReportResult(frame=data, summary=summary, chart=chart)


def forecast(params: ReportParameters) -> ReportResult:
    demand = daily_demand(params)
    rows: list[dict[str, Any]] = []
    series_summary = []
    first_day = params.end + timedelta(days=1)
    for (warehouse, sku), history in demand.iterrows():
        result = forecasting.forecast(history.to_numpy(dtype=float), params.horizon)
        series_summary.append(
            {
                "warehouse": warehouse,
                "sku": sku,
                "method": result.method,
                "wape": plain(result.wape),
                "history": float(history.sum()),
            }
        )
        for offset in range(params.horizon):
            rows.append(
                {
                    "warehouse": warehouse,
                    "sku": sku,
                    "day": (first_day + timedelta(days=offset)).isoformat(),
                    "forecast": round(float(result.values[offset]), 3),
                    "lower": round(float(result.lower[offset]), 3),
                    "upper": round(float(result.upper[offset]), 3),
                    "method": result.method,
                }
            )
    data = pd.DataFrame(rows, columns=["warehouse", "sku", "day", "forecast", "lower", "upper", "method"])
    scored = [s for s in series_summary if s["wape"] is not None]
    weights = sum(s["history"] for s in scored)
    summary = {
        "series": len(series_summary),
        "horizon": params.horizon,
        "methods": pd.Series([s["method"] for s in series_summary], dtype=str).value_counts().to_dict(),
        "wape": round(sum(s["wape"] * s["history"] for s in scored) / weights, 4) if weights else None,
    }
    chart: dict[str, Any] = {"kind": "forecast", "labels": [], "datasets": []}
    if series_summary:  # the busiest series: its history, then the forecast and interval
        top = max(series_summary, key=lambda s: s["history"])
        history = demand.loc[(top["warehouse"], top["sku"])]
        part = data[(data["warehouse"] == top["warehouse"]) & (data["sku"] == top["sku"])]
        blanks = [None] * len(part)
        chart = {
            "kind": "forecast",
            "title": f"{top['warehouse']} {top['sku']}",
            "labels": [day.isoformat() for day in history.index] + part["day"].tolist(),
            "datasets": [
                {"label": "demand", "data": [plain(v) for v in history.tolist()] + blanks},
                {"label": "forecast", "data": [None] * len(history) + column(part, "forecast")},
                {"label": "lower", "data": [None] * len(history) + column(part, "lower")},
                {"label": "upper", "data": [None] * len(history) + column(part, "upper")},
            ],
        }
    return ReportResult(frame=data, summary=summary, chart=chart)


def reorder_point(mean: Any, sigma: Any, lead_time_days: Any, z: Any) -> tuple[Any, Any]:
    """Safety stock z * sigma * sqrt(L) and reorder point mean * L + safety stock (scalars or columns)."""
    safety_stock = z * sigma * np.sqrt(lead_time_days)
    return safety_stock, mean * lead_time_days + safety_stock


def reorder(params: ReportParameters) -> ReportResult:
    demand = daily_demand(params)
    stock = _stock(params).set_index(SERIES)
    index = stock.index.union(demand.index) if not demand.empty else stock.index
    demand = demand.reindex(index, fill_value=0.0)
    data = pd.DataFrame(index=index)
    data["available"] = stock["available"].reindex(index).fillna(0.0)
    data["mean_daily_demand"] = demand.mean(axis=1) if params.days else 0.0
    data["sigma"] = demand.std(axis=1, ddof=1).fillna(0.0) if params.days > 1 else 0.0
    policies = {
        warehouse: ReplenishmentPolicy.for_warehouse(warehouse)
        for warehouse in data.index.get_level_values("warehouse").unique()
    }
    warehouses = data.index.get_level_values("warehouse")
    data["lead_time_days"] = [policies[w].lead_time_days for w in warehouses]
    data["service_level"] = [float(policies[w].service_level) for w in warehouses]
    review = np.array([policies[w].review_days for w in warehouses], dtype=float)
    data["z"] = [NormalDist().inv_cdf(level) for level in data["service_level"]]
    data["safety_stock"], data["reorder_point"] = reorder_point(
        data["mean_daily_demand"], data["sigma"], data["lead_time_days"], data["z"]
    )
    up_to = data["reorder_point"] + data["mean_daily_demand"] * review
    data["suggested_order"] = [
        math.ceil(target - available - 1e-9) if available <= rop else 0
        for target, available, rop in zip(up_to, data["available"], data["reorder_point"], strict=True)
    ]
    for name, digits in (("mean_daily_demand", 3), ("sigma", 3), ("z", 4), ("safety_stock", 3), ("reorder_point", 3)):
        data[name] = data[name].round(digits)
    data = data.reset_index()
    to_order = data[data["suggested_order"] > 0]
    summary = {"skus": len(data), "to_order": len(to_order), "units": int(to_order["suggested_order"].sum())}
    chart = {
        "kind": "bar",
        "labels": [f"{w} {s}" for w, s in zip(to_order["warehouse"], to_order["sku"], strict=True)],
        "datasets": [{"label": "suggested order", "data": column(to_order, "suggested_order")}],
    }
    return ReportResult(frame=data, summary=summary, chart=chart)
