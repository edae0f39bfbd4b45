"""How the API shows VAT (core.vat): net, VAT and gross per rate and in all, for carts, orders
and invoices alike."""

from typing import Any

from rest_framework import serializers

from core.api.serializers import money_field
from core.vat import Breakdown


def rate_field(**kwargs: Any) -> serializers.DecimalField:
    """A VAT rate in percent, as a string with two decimals ("19.00")."""
    return serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True, **kwargs)


class VatRateSerializer(serializers.Serializer[Any]):
    rate = rate_field(help_text="percent")
    net = money_field()
    vat = money_field()
    gross = money_field()


class VatBreakdownSerializer(serializers.Serializer[Breakdown]):
    """Each line's VAT is rounded on its own (half up) and the rates sum the lines: docs/decisions/0052."""

    rates = VatRateSerializer(many=True, help_text="highest rate first; the delivery fee counts under its rate")
    net = money_field()
    vat = money_field()
    gross = money_field(help_text="what is paid: the lines after discounts plus the delivery fee")
