"""Demo data of promotions: a running automatic promotion (milk, 3 for 2) and a voucher code that
`make run` prints (5.00 off a basket of 25.00 or more, once per customer). Loaded before the
orders' demo order, which therefore gets the milk offer. Safe to load again: matched by name."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.selectors import variants_by_sku
from promotions import services
from promotions.models import Kind, Promotion, Trigger, VoucherCode

MILK_SKU = "DAI-MLK-1L"
OFFER = "Milk: 3 for 2"
VOUCHER_NAME = "Welcome: 5.00 off 25.00"
VOUCHER_CODE = "WELCOME5"


def load() -> list[str]:
    milk = variants_by_sku([MILK_SKU]).get(MILK_SKU)
    if milk is None:
        return [f"No demo promotions: the catalog has no {MILK_SKU} (load the catalog's demo data first)."]
    now = timezone.now()
    offer = Promotion.objects.filter(name=OFFER).first() or services.create_promotion(
        {
            "name": OFFER,
            "kind": Kind.MULTI_BUY,
            "percent": Decimal("100"),
            "group_size": 3,
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=60),
            "currency": milk.currency,
        },
        targets={"variant": [milk]},
    )
    welcome = Promotion.objects.filter(name=VOUCHER_NAME).first() or services.create_promotion(
        {
            "name": VOUCHER_NAME,
            "kind": Kind.BASKET_FIXED,
            "trigger": Trigger.VOUCHER,
            "amount": Decimal("5.00"),
            "threshold": Decimal("25.00"),
            "per_customer_limit": 1,
            "usage_limit": 1000,
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=60),
            "currency": milk.currency,
        }
    )
    if not VoucherCode.objects.filter(code=VOUCHER_CODE).exists():
        services.add_code(welcome.pk, VOUCHER_CODE)
    return [
        f"Running promotion: {offer.name} on {milk.sku} until {offer.ends_at:%Y-%m-%d}",
        f"Voucher code: {VOUCHER_CODE} ({welcome.name}, once per customer; POST /api/v1/cart/voucher/)",
    ]
