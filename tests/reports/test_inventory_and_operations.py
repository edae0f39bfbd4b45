"""Inventory, operations and payments reports against small histories counted by hand."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from delivery.models import DeliverySlot, HoldState, SlotHold
from inventory.models import StockItem, StockMovement, Warehouse
from orders.models import OrderLine
from payments.models import Payment, PaymentTransaction
from reports.catalogue import forecasting
from reports.catalogue.inventory import reorder_point
from reports.models import ReplenishmentPolicy
from tests.reports.factories import customer, local, make_shop
from tests.reports.test_sales_and_customers import run

pytestmark = pytest.mark.django_db
MONDAYS = [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]


@pytest.fixture
def demand_history():  # type: ignore[no-untyped-def]
    """Three weeks; one order each Monday: A 10 a week at 28.00, B 4/1/1 at 20.00, C 6/0/0 at 5.00."""
    shop = make_shop(("A", "Fruit"), ("B", "Fruit"), ("C", "Dairy"))
    buyer = customer("buyer")
    shop.order(buyer, local(MONDAYS[0]), ("A", "10", "28.00"), ("B", "4", "20.00"), ("C", "6", "5.00"))
    shop.order(buyer, local(MONDAYS[1]), ("A", "10", "28.00"), ("B", "1", "20.00"))
    shop.order(buyer, local(MONDAYS[2]), ("A", "10", "28.00"), ("B", "1", "20.00"))
    shop.order(buyer, local(MONDAYS[2]), ("C", "50", "5.00"), status="cancelled")  # no demand
    warehouse = Warehouse.objects.create(code="main", name="Main")
    item = StockItem.objects.create(
        warehouse=warehouse, variant=shop.variants["A"], on_hand=Decimal("20"), created_at=local(date(2026, 3, 1))
    )
    for day, delta in ((date(2026, 3, 2), "10"), (date(2026, 3, 5), "-10"), (date(2026, 3, 8), "20")):
        StockMovement.objects.create(
            stock_item=item, on_hand_delta=Decimal(delta), reason="adjustment", created_at=local(day, "18:00")
        )
    ReplenishmentPolicy.objects.create(warehouse_code="main", lead_time_days=2, service_level=Decimal("0.95"))
    return shop


PERIOD = {"start": "2026-03-02", "end": "2026-03-22", "zone": "mitte"}


def test_abc_by_revenue_share_and_xyz_by_weekly_variation(demand_history) -> None:  # type: ignore[no-untyped-def]
    result = run("inventory_abc_xyz", **PERIOD)
    rows = result.frame.set_index("sku")
    assert rows["revenue"].to_dict() == {"A": 840.0, "B": 120.0, "C": 30.0}
    assert rows["weekly_cv"].to_dict() == {"A": 0.0, "B": 0.7071, "C": 1.4142}
    assert rows["class"].to_dict() == {"A": "AX", "B": "BY", "C": "CZ"}
    assert result.chart["values"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_days_of_cover_and_stock_out_days_from_the_ledger(demand_history) -> None:  # type: ignore[no-untyped-def]
    row = run("inventory_cover", **PERIOD).frame.set_index("sku").loc["A"]
    # 20 available / (30 / 21 a day); closed at 0 on 5, 6 and 7 March (20 now, +20 on the 8th).
    assert (row["available"], row["mean_daily_demand"], row["days_of_cover"], row["stockout_days"]) == (
        20.0,
        1.429,
        14.0,
        3,
    )


def test_reorder_points_from_mean_sigma_lead_time_and_z(demand_history) -> None:  # type: ignore[no-untyped-def]
    safety, rop = reorder_point(10.0, 3.0, 4, 1.6449)  # z for 95%
    assert (round(safety, 4), round(rop, 4)) == (9.8694, 49.8694)
    rows = run("inventory_reorder", **PERIOD).frame.set_index("sku")
    # B: mu 6/21, sample sigma 0.902, L 2, z 1.6449: SS 2.099, ROP 2.671; none in stock, so order up to
    # ROP + 7 days of demand = 4.67 -> 5. A: 20 available above its ROP 11.198: nothing.
    assert rows.loc[
        "B", ["mean_daily_demand", "sigma", "z", "safety_stock", "reorder_point", "suggested_order"]
    ].tolist() == [0.286, 0.902, 1.6449, 2.099, 2.671, 5]
    assert rows.loc["A", ["safety_stock", "reorder_point", "suggested_order"]].tolist() == [8.341, 11.198, 0]


def test_forecast_methods_by_history_length_with_a_backtest() -> None:
    week = np.array([5, 3, 3, 4, 8, 12, 1], dtype=float)
    short = forecasting.forecast(np.tile(week, 2)[:10], 7)
    assert short.method == "seasonal_naive"
    assert short.values.tolist() == [4, 8, 12, 1, 5, 3, 3]  # the last seven days, repeated
    assert short.wape is None  # too short to hold seven days out and keep a week
    long = forecasting.forecast(np.tile(week, 8), 7)
    assert long.method == "holt_winters" and long.wape is not None and long.wape < 0.05
    assert np.allclose(long.values, week, atol=0.5) and (long.lower <= long.values).all()
    assert forecasting.forecast(np.array([2.0, 4.0]), 3).values.tolist() == [3.0, 3.0, 3.0]


def test_forecast_report_rows_per_series_and_day(demand_history) -> None:  # type: ignore[no-untyped-def]
    result = run("inventory_forecast", **PERIOD, horizon="3")
    assert len(result.frame) == 9 and result.summary["methods"] == {"seasonal_naive": 3}
    a = result.frame[result.frame["sku"] == "A"]
    assert a["day"].tolist() == ["2026-03-23", "2026-03-24", "2026-03-25"]
    assert a["forecast"].tolist() == [10.0, 0.0, 0.0]  # Mondays sell ten


def test_fulfilment_rates_on_time_and_pick_to_pack() -> None:
    shop = make_shop(("A", "Fruit"), ("B", "Fruit"), ("C", "Dairy"), ("D", "Dairy"))
    buyer = customer("buyer")
    first = shop.order(buyer, local(date(2026, 3, 2)), ("A", "2", "1.00"), ("B", "4", "1.00"), ("C", "2", "1.00"))
    second = shop.order(buyer, local(date(2026, 3, 2)), ("A", "1", "1.00"), ("B", "1", "1.00"))
    picks = {
        (first.pk, "A"): ("2", None),
        (first.pk, "B"): ("3", None),
        (first.pk, "C"): ("2", "D"),
        (second.pk, "A"): ("0", None),
    }  # second's B is not picked yet
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for line in OrderLine.objects.filter(order__in=[first, second]):
        if (line.order_id, line.sku) in picks:
            quantity, substitute = picks[(line.order_id, line.sku)]
            line.picked_quantity = Decimal(quantity)
            line.picked_variant = shop.variants[substitute] if substitute else None
            line.picked_at = start if line.order_id == first.pk else start + timedelta(hours=1)
            line.save()
    ends = shop.slot.ends_at
    type(first).objects.filter(pk=first.pk).update(
        packed_at=start + timedelta(minutes=20), delivered_at=ends - timedelta(minutes=10)
    )
    type(first).objects.filter(pk=second.pk).update(
        packed_at=start + timedelta(minutes=100), delivered_at=ends + timedelta(minutes=30)
    )
    result = run("operations_fulfilment", start="2026-03-02", end="2026-03-02", zone="mitte")
    rows = result.frame.set_index("sku")
    assert rows.loc["A", ["lines", "fill_rate", "short_rate", "substitution_rate"]].tolist() == [2, 0.6667, 0.5, 0.0]
    assert rows.loc["B", ["lines", "fill_rate", "short_rate"]].tolist() == [1, 0.75, 1.0]
    assert rows.loc["C", ["fill_rate", "substitution_rate"]].tolist() == [1.0, 1.0]
    assert {
        key: result.summary[key]
        for key in (
            "picked_lines",
            "fill_rate",
            "short_rate",
            "substitution_rate",
            "on_time_rate",
            "pick_to_pack_minutes",
        )
    } == {
        "picked_lines": 4,
        "fill_rate": 0.7778,
        "short_rate": 0.5,
        "substitution_rate": 0.25,
        "on_time_rate": 0.5,
        "pick_to_pack_minutes": 30.0,
    }


def test_slot_utilisation_by_weekday_and_hour() -> None:
    shop = make_shop(("A", "Fruit"))
    buyer = customer("buyer")
    monday = local(date(2026, 3, 9), "10:00")
    slots = [
        DeliverySlot.objects.create(
            zone=shop.zone,
            starts_at=at,
            ends_at=at + timedelta(hours=1),
            cutoff_at=at - timedelta(hours=1),
            capacity=capacity,
        )
        for at, capacity in ((monday, 10), (monday + timedelta(days=1), 5))
    ]
    for slot, booked, released in ((slots[0], 3, 0), (slots[1], 5, 1)):
        for n in range(booked + released):
            SlotHold.objects.create(
                slot=slot,
                customer=buyer,
                owner_id=f"{slot.pk}-{n}",
                state=HoldState.BOOKED if n < booked else HoldState.RELEASED,
                expires_at=slot.starts_at,
                order_ref=f"order-{slot.pk}-{n}",
                booked_at=slot.cutoff_at,
            )
    result = run("operations_slots", start="2026-03-09", end="2026-03-10", zone="mitte")
    assert result.frame[["weekday", "hour", "capacity", "booked", "utilisation"]].to_dict(orient="records") == [
        {"weekday": 1, "hour": 10, "capacity": 10, "booked": 3, "utilisation": 0.3},
        {"weekday": 2, "hour": 10, "capacity": 5, "booked": 5, "utilisation": 1.0},
    ]
    assert result.summary["utilisation"] == 0.5333
    assert result.chart["x"] == ["10:00"] and result.chart["values"][:3] == [[0.3], [1.0], [None]]


def test_payment_failures_by_reason_and_refunds_on_their_local_day() -> None:
    make_shop()  # zone "mitte", on Berlin time
    buyer = customer("payer")
    for n, (gateway, state, code) in enumerate(
        [
            ("test_card", "captured", ""),
            ("test_card", "failed", "card_declined"),
            ("test_card", "failed", "card_declined"),
            ("cash_on_delivery", "failed", ""),
        ]
    ):
        payment = Payment.objects.create(
            order_ref=str(n),
            customer=buyer,
            gateway=gateway,
            currency="EUR",
            amount=Decimal("10.00"),
            state=state,
            failure_code=code,
            payment_method="card",
            idempotency_key=f"pay-{n}",
        )
        Payment.objects.filter(pk=payment.pk).update(created_at=local(date(2026, 3, 2)))
    PaymentTransaction.objects.create(
        payment=payment,
        kind="refund",
        status="succeeded",
        amount=Decimal("4.50"),
        idempotency_key="r",
        provider_idempotency_key="r",
        completed_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
    )  # 3 March in Berlin
    failures = run("payments_failures", start="2026-03-02", end="2026-03-02", zone="mitte")
    assert failures.frame[["gateway", "reason", "failures", "share_of_payments"]].to_dict(orient="records") == [
        {"gateway": "cash_on_delivery", "reason": "unknown", "failures": 1, "share_of_payments": 1.0},
        {"gateway": "test_card", "reason": "card_declined", "failures": 2, "share_of_payments": 0.6667},
    ]
    assert failures.summary["failure_rate"] == 0.75
    assert run("payments_refunds", start="2026-03-02", end="2026-03-02", zone="mitte").summary["refunds"] == 0
    refunds = run("payments_refunds", start="2026-03-03", end="2026-03-03", zone="mitte")
    assert refunds.frame.to_dict(orient="records") == [
        {"day": "2026-03-03", "gateway": "cash_on_delivery", "refunds": 1, "amount": 4.5}
    ]
