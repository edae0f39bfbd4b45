"""Payments: failures by gateway and reason, and refunds per day.

Payments started in the period; a failure is a payment that ended failed, counted under the
gateway's failure code ("unknown" when it gave none); failure rate = failed / started per gateway.
Refunds are those that succeeded in the period, on the local day they completed.
"""

import pandas as pd

from payments import selectors as payment_selectors
from reports.catalogue.base import column, frame, plain, ratio
from reports.catalogue.result import ReportResult
from reports.parameters import ReportParameters


def failures(params: ReportParameters) -> ReportResult:
    start, end = params.bounds()
    data = frame(
        payment_selectors.payment_outcomes(start, end, currency=params.currency_or_default, using=params.scope().using),
        ["gateway", "state", "failure_code", "payments", "amount"],
        numeric=("payments", "amount"),
    )
    started = data.groupby("gateway")["payments"].sum()
    failed = data[data["state"] == "failed"].copy()
    failed["reason"] = failed["failure_code"].replace("", "unknown")
    table = failed.groupby(["gateway", "reason"]).agg(failures=("payments", "sum"), amount=("amount", "sum"))
    table = table.reset_index()
    table["failures"] = table["failures"].astype(int)
    table["amount"] = table["amount"].round(2)
    table["share_of_payments"] = (table["failures"] / table["gateway"].map(started)).round(4)
    table = table.sort_values(["gateway", "failures", "reason"], ascending=[True, False, True]).reset_index(drop=True)
    summary = {
        "payments": int(started.sum()),
        "failed": int(table["failures"].sum()),
        "failure_rate": ratio(float(table["failures"].sum()), float(started.sum())),
        "by_gateway": {gateway: int(count) for gateway, count in started.items()},
    }
    chart = {
        "kind": "bar",
        "labels": [f"{g} {r}" for g, r in zip(table["gateway"], table["reason"], strict=True)],
        "datasets": [{"label": "failures", "data": column(table, "failures")}],
    }
    return ReportResult(frame=table, summary=summary, chart=chart)


def refunds(params: ReportParameters) -> ReportResult:
    start, end = params.bounds()
    data = frame(
        payment_selectors.refunds_by_day(
            start, end, time_zone=params.time_zone, currency=params.currency_or_default, using=params.scope().using
        ),
        ["day", "payment__gateway", "refunds", "amount"],
        numeric=("refunds", "amount"),
    )
    data = data.rename(columns={"payment__gateway": "gateway"})
    data["refunds"] = data["refunds"].astype(int)
    data["amount"] = data["amount"].round(2)
    data["day"] = data["day"].map(lambda day: day.isoformat())
    per_day = data.groupby("day")["amount"].sum().round(2)
    summary = {
        "refunds": int(data["refunds"].sum()),
        "amount": round(float(data["amount"].sum()), 2),
        "currency": params.currency_or_default,
    }
    chart = {
        "kind": "bar",
        "labels": per_day.index.tolist(),
        "datasets": [{"label": "refunded", "data": [plain(v) for v in per_day.tolist()]}],
    }
    return ReportResult(frame=pd.DataFrame(data), summary=summary, chart=chart)
