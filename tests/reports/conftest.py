"""Histories shared by the reports tests."""

from datetime import UTC, date, datetime

import pytest

from tests.reports.factories import customer, local, make_shop


@pytest.fixture
def sales_history():  # type: ignore[no-untyped-def]
    shop = make_shop(("A", "Fruit"), ("B", "Fruit"), ("C", "Dairy"))
    alice, bob = customer("alice"), customer("bob")
    shop.order(alice, local(date(2026, 3, 2), "10:00"), ("A", "2", "10.00"), ("B", "1", "5.00"), refunded="5.00")
    # 23:30 Berlin on 2 March: still 2 March; cancelled, paid cash.
    shop.order(
        bob, local(date(2026, 3, 2), "23:30"), ("C", "3", "2.00"), status="cancelled", gateway="cash_on_delivery"
    )
    # 23:30 UTC on 2 March is 00:30 on 3 March in Berlin: counts on the 3rd.
    shop.order(alice, datetime(2026, 3, 2, 23, 30, tzinfo=UTC), ("A", "1", "10.00"))
    shop.order(bob, local(date(2026, 2, 28)), ("A", "1", "10.00"))  # the previous period
    return shop
