"""The demo data has a running promotion and a voucher code (printed by `make run`), once however
often it loads."""

import pytest

from catalog import demo as catalog_demo
from promotions import demo
from promotions.models import Promotion, VoucherCode
from promotions.selectors import running_rules

pytestmark = pytest.mark.django_db


def test_the_demo_runs_a_promotion_and_prints_a_voucher_code() -> None:
    catalog_demo.load()
    first, again = demo.load(), demo.load()
    assert first == again and first[1].startswith(f"Voucher code: {demo.VOUCHER_CODE} ")
    assert [rule.name for rule in running_rules("EUR")] == [demo.OFFER]
    assert Promotion.objects.count() == 2 and VoucherCode.objects.get().code == "WELCOME5"
