"""Promotions and voucher codes for the tests, made through the services as the admin makes them."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import Variant
from promotions import services
from promotions.models import Promotion


def promotion(name: str, kind: str, *, variants: tuple[Variant, ...] = (), **values: Any) -> Promotion:
    values = {"starts_at": timezone.now() - timedelta(hours=1), **values}
    for money in ("percent", "amount", "threshold"):
        if money in values:
            values[money] = Decimal(values[money])
    return services.create_promotion({"name": name, "kind": kind, **values}, targets={"variant": list(variants)})


def voucher(code: str, kind: str = "basket_fixed", **values: Any) -> Promotion:
    made = promotion(f"Voucher {code}", kind, trigger="voucher", **values)
    services.add_code(made.pk, code)
    return made
