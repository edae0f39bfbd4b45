"""Operations: slot utilisation, on-time delivery, fill, short and substitution rates, pick-to-pack.

- Utilisation: places booked / capacity of the slots starting in the period, per zone, local ISO
  weekday (1 = Monday) and start hour.
- Of the orders placed in the period: on-time rate = delivered by the end of their slot / delivered;
  pick-to-pack = mean minutes from an order's first picked line to its packing.
- Of their picked lines, per ordered SKU: fill rate = filled / ordered quantity (a line fills at most
  what was ordered; a substitute fills), short rate = lines picked short / picked lines,
  substitution rate = lines picked as another item / picked lines.
"""

import pandas as pd

from delivery import selectors as delivery_selectors
from orders import selectors as order_selectors
from reports.catalogue.base import frame, plain, ratio
from reports.catalogue.result import ReportResult
from reports.parameters import ReportParameters

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def slot_utilisation(params: ReportParameters) -> ReportResult:
    scope = params.scope()
    capacity = frame(
        delivery_selectors.slot_capacity_by_hour(
            scope.start, scope.end, time_zone=scope.time_zone, zone=params.zone, using=scope.using
        ),
        ["zone__code", "weekday", "hour", "slots", "capacity"],
        numeric=("slots", "capacity"),
    )
    booked = frame(
        delivery_selectors.slot_bookings_by_hour(
            scope.start, scope.end, time_zone=scope.time_zone, zone=params.zone, using=scope.using
        ),
        ["slot__zone__code", "weekday", "hour", "booked"],
        numeric=("booked",),
    )
    booked = booked.rename(columns={"slot__zone__code": "zone__code"})
    data = capacity.merge(booked, on=["zone__code", "weekday", "hour"], how="left").fillna({"booked": 0.0})
    data = data.rename(columns={"zone__code": "zone"})
    data[["slots", "capacity", "booked"]] = data[["slots", "capacity", "booked"]].astype(int)
    data["utilisation"] = (data["booked"] / data["capacity"].where(data["capacity"] > 0)).round(4)
    grid = data.groupby(["weekday", "hour"])[["booked", "capacity"]].sum()
    hours = sorted(data["hour"].unique().tolist())
    values = [
        [
            plain(ratio(grid.loc[(day, hour), "booked"], grid.loc[(day, hour), "capacity"]))
            if (day, hour) in grid.index
            else None
            for hour in hours
        ]
        for day in range(1, 8)
    ]
    summary = {
        "slots": int(data["slots"].sum()),
        "capacity": int(data["capacity"].sum()),
        "booked": int(data["booked"].sum()),
        "utilisation": ratio(float(data["booked"].sum()), float(data["capacity"].sum())),
    }
    chart = {"kind": "heatmap", "x": [f"{hour:02d}:00" for hour in hours], "y": WEEKDAYS, "values": values}
    return ReportResult(frame=data, summary=summary, chart=chart)


def fulfilment(params: ReportParameters) -> ReportResult:
    scope = params.scope()
    data = frame(
        order_selectors.fulfilment_by_sku(scope),
        ["sku", "lines", "ordered", "filled", "short_lines", "substituted_lines"],
        numeric=("lines", "ordered", "filled", "short_lines", "substituted_lines"),
    )
    counts = ["lines", "short_lines", "substituted_lines"]
    data[counts] = data[counts].astype(int)
    data["fill_rate"] = (data["filled"] / data["ordered"].where(data["ordered"] > 0)).round(4)
    data["short_rate"] = (data["short_lines"] / data["lines"]).round(4)
    data["substitution_rate"] = (data["substituted_lines"] / data["lines"]).round(4)
    punctuality = order_selectors.delivery_punctuality(scope)
    pick_to_pack = punctuality.get("pick_to_pack")
    summary = {
        "picked_lines": int(data["lines"].sum()),
        "fill_rate": ratio(float(data["filled"].sum()), float(data["ordered"].sum())),
        "short_rate": ratio(float(data["short_lines"].sum()), float(data["lines"].sum())),
        "substitution_rate": ratio(float(data["substituted_lines"].sum()), float(data["lines"].sum())),
        "delivered": punctuality["delivered"],
        "on_time": punctuality["on_time"],
        "on_time_rate": ratio(punctuality["on_time"], punctuality["delivered"]),
        "pick_to_pack_minutes": round(pick_to_pack.total_seconds() / 60, 1) if pick_to_pack is not None else None,
    }
    worst = data.sort_values(["fill_rate", "sku"]).head(20)
    chart = {
        "kind": "bar",
        "labels": worst["sku"].tolist(),
        "datasets": [
            {"label": "short rate", "data": [plain(v) for v in worst["short_rate"]]},
            {"label": "substitution rate", "data": [plain(v) for v in worst["substitution_rate"]]},
        ],
    }
    return ReportResult(frame=pd.DataFrame(data), summary=summary, chart=chart)
