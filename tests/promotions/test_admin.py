"""The Marketing role runs promotions in the admin (through the services): creates one with the
items it targets, generates a batch of single-use codes; other roles do not see promotions."""

import pytest
from django.test import Client

from accounts.roles import MARKETING, WAREHOUSE
from promotions.models import Promotion, VoucherCode
from tests.orders.helpers import make_shop
from tests.orders.test_admin import role_member

pytestmark = pytest.mark.django_db

PROMOTIONS = "/admin/promotions/promotion/"


def test_marketing_creates_a_promotion_and_a_batch_of_codes_and_the_warehouse_does_not_see_them() -> None:
    shop = make_shop()
    marketing = Client()
    marketing.force_login(role_member(MARKETING, "marketing@example.com"))
    form = {
        "name": "Ten percent off milk",
        "kind": "item_percent",
        "trigger": "voucher",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "is_active": "on",
        "priority": "0",
        "stackable": "on",
        "percent": "10",
        "currency": "EUR",
        "threshold": "0",
        "combinable": "on",
        "variants": [str(shop.milk.pk)],
        "codes-TOTAL_FORMS": "0",
        "codes-INITIAL_FORMS": "0",
    }
    created = marketing.post(f"{PROMOTIONS}add/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    made = Promotion.objects.get(name="Ten percent off milk")
    assert [target.variant_id for target in made.targets.all()] == [shop.milk.pk]

    invalid = marketing.post(f"{PROMOTIONS}add/", {**form, "name": "No percentage", "percent": ""})
    # The table's constraint, checked by the form: shown on the page, nothing saved.
    assert invalid.status_code == 200 and b"promotions_value_fits_kind" in invalid.content
    assert not Promotion.objects.filter(name="No percentage").exists()

    marketing.post(PROMOTIONS, {"action": "generate_ten_codes", "_selected_action": [str(made.pk)]})
    codes = VoucherCode.objects.filter(promotion=made)
    assert codes.count() == 10 and {code.max_uses for code in codes} == {1}

    warehouse = Client()
    warehouse.force_login(role_member(WAREHOUSE, "clerk@example.com"))
    assert warehouse.get(PROMOTIONS).status_code == 403
