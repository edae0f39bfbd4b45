"""Sales and customer reports against small histories counted by hand."""

from datetime import date

import pytest

from reports.catalogue import get_report
from reports.errors import InvalidReportParameters
from tests.reports.factories import customer, local, make_shop

pytestmark = pytest.mark.django_db


def run(name: str, **raw: str):  # type: ignore[no-untyped-def]
    report = get_report(name)
    return report.run(report.parameters(raw))


def test_sales_by_day_with_local_days_cancellations_refunds_and_the_previous_period(sales_history) -> None:  # type: ignore[no-untyped-def]
    result = run("sales", start="2026-03-02", end="2026-03-03", zone="mitte")
    rows = result.frame.to_dict(orient="records")
    assert rows == [
        {
            "period": "2026-03-02",
            "orders": 2,
            "cancellations": 1,
            "items": 6.0,
            "gross": 31.0,
            "cancelled": 6.0,
            "refunds": 5.0,
            "net": 20.0,
            "aov": 20.0,
        },
        {
            "period": "2026-03-03",
            "orders": 1,
            "cancellations": 0,
            "items": 1.0,
            "gross": 10.0,
            "cancelled": 0.0,
            "refunds": 0.0,
            "net": 10.0,
            "aov": 10.0,
        },
    ]
    assert result.summary["totals"] == {
        "orders": 3,
        "cancellations": 1,
        "items": 7.0,
        "gross": 41.0,
        "cancelled": 6.0,
        "refunds": 5.0,
        "net": 30.0,
        "aov": 15.0,
    }
    assert result.summary["previous"]["orders"] == 1 and result.summary["previous"]["net"] == 10.0
    assert result.summary["change"] == {"orders": 2.0, "net": 2.0, "aov": 0.5}
    assert result.chart["labels"] == ["2026-03-02", "2026-03-03"]
    assert result.chart["datasets"][1] == {"label": "net", "data": [20.0, 10.0]}


def test_sales_by_sku_shares_refunds_over_lines_and_by_gateway(sales_history) -> None:  # type: ignore[no-untyped-def]
    by_sku = run("sales", start="2026-03-02", end="2026-03-03", zone="mitte", by="sku").frame.set_index("sku")
    assert by_sku.loc["A", ["orders", "gross", "refunds", "net", "aov"]].tolist() == [2, 30.0, 4.0, 26.0, 13.0]
    assert by_sku.loc["B", ["orders", "gross", "refunds", "net"]].tolist() == [1, 5.0, 1.0, 4.0]
    assert by_sku.loc["C", ["orders", "cancellations", "gross", "cancelled", "net", "aov"]].tolist() == [
        1,
        1,
        6.0,
        6.0,
        0.0,
        0.0,
    ]
    by_category = run("sales", start="2026-03-02", end="2026-03-03", by="category", zone="mitte").frame
    assert dict(zip(by_category["category"], by_category["net"], strict=True)) == {"Dairy": 0.0, "Fruit": 30.0}
    by_gateway = run("sales", start="2026-03-02", end="2026-03-03", by="gateway", zone="mitte").frame
    assert by_gateway.set_index("gateway")["net"].to_dict() == {"cash_on_delivery": 0.0, "test_card": 30.0}


def test_an_empty_period_has_a_row_of_zeros_per_day(sales_history) -> None:  # type: ignore[no-untyped-def]
    result = run("sales", start="2026-04-06", end="2026-04-08", zone="mitte", granularity="week")
    assert result.frame.to_dict(orient="records") == [
        {
            "period": "2026-04-06",
            "orders": 0,
            "cancellations": 0,
            "items": 0.0,
            "gross": 0.0,
            "cancelled": 0.0,
            "refunds": 0.0,
            "net": 0.0,
            "aov": 0.0,
        }
    ]
    assert result.summary["totals"]["aov"] == 0.0 and result.summary["change"]["net"] is None


def test_bad_parameters_are_named_per_field() -> None:
    report = get_report("sales")
    with pytest.raises(InvalidReportParameters) as refused:
        report.parameters(
            {"start": "2026-03-05", "end": "2026-03-01", "granularity": "hour", "by": "colour", "currency": "XYZ"}
        )
    assert refused.value.code == "invalid_report_parameters"
    assert set(refused.value.fields) == {"end", "granularity", "by", "currency"}


@pytest.fixture
def customer_history():  # type: ignore[no-untyped-def]
    shop = make_shop(("A", "Fruit"))
    people = {name: customer(name) for name in ("c1", "c2", "c3", "c4", "c5", "c6")}

    def orders(name: str, days: list[date], price: str, **options: str) -> None:
        for day in days:
            shop.order(people[name], local(day), ("A", "1", price), **options)

    orders("c1", [date(2026, 1, 10)], "100.00")
    orders("c1", [date(2026, 3, d) for d in (10, 15, 20, 25, 30)], "50.00")
    orders("c2", [date(2026, 3, 28)], "20.00")
    orders("c2", [date(2026, 3, 29)], "99.00", status="cancelled")  # never counts
    orders("c3", [date(2026, 3, 1), date(2026, 3, 5)], "30.00")
    orders("c3", [date(2026, 3, 8)], "30.00", refunded="10.00")
    orders("c4", [date(2026, 3, 2), date(2026, 3, 3)], "10.00")
    orders("c5", [date(2026, 2, 1), date(2026, 2, 5), date(2026, 2, 10)], "15.00")
    orders("c6", [date(2026, 2, 2)], "5.00")
    return people


def test_rfm_scores_segments_and_historic_value(customer_history) -> None:  # type: ignore[no-untyped-def]
    result = run("customers_rfm", start="2026-02-01", end="2026-03-31", zone="mitte")
    ids = {user.pk: name for name, user in customer_history.items()}
    rows = {ids[row["customer_id"]]: row for row in result.frame.to_dict(orient="records")}
    scored = {
        name: (row["recency_days"], row["frequency"], row["monetary"], row["r"], row["f"], row["m"], row["segment"])
        for name, row in rows.items()
    }
    assert scored == {
        "c1": (1, 5, 250.0, 5, 4, 5, "champions"),
        "c2": (3, 1, 20.0, 5, 1, 3, "new"),
        "c3": (23, 3, 80.0, 3, 3, 5, "loyal"),
        "c4": (28, 2, 20.0, 3, 2, 3, "needs_attention"),
        "c5": (49, 3, 45.0, 2, 3, 4, "at_risk"),
        "c6": (57, 1, 5.0, 2, 1, 1, "hibernating"),
    }
    assert (rows["c1"]["historic_orders"], rows["c1"]["historic_value"], rows["c1"]["first_order"]) == (
        6,
        350.0,
        "2026-01-10",
    )
    assert result.summary["segments"] == {
        "at_risk": 1,
        "champions": 1,
        "hibernating": 1,
        "loyal": 1,
        "new": 1,
        "needs_attention": 1,
    }


def test_monthly_cohorts_and_new_against_returning(customer_history) -> None:  # type: ignore[no-untyped-def]
    cohorts = run("customers_cohorts", start="2026-01-01", end="2026-03-31", zone="mitte")
    assert cohorts.frame.fillna(-1).to_dict(orient="records") == [
        {"cohort": "2026-01", "size": 1, "m0": 1.0, "m1": 0.0, "m2": 1.0},
        {"cohort": "2026-02", "size": 2, "m0": 1.0, "m1": 0.0, "m2": -1},
        {"cohort": "2026-03", "size": 3, "m0": 1.0, "m1": -1, "m2": -1},
    ]
    assert cohorts.chart["values"][1] == [1.0, 0.0, None]
    split = run("customers_new_returning", start="2026-02-01", end="2026-03-31", zone="mitte", granularity="month")
    assert split.frame[["period", "customers", "new", "returning"]].to_dict(orient="records") == [
        {"period": "2026-02-01", "customers": 2, "new": 2, "returning": 0},
        {"period": "2026-03-01", "customers": 4, "new": 3, "returning": 1},
    ]
