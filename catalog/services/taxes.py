"""Writes of the VAT rate table. A rate is never edited in place once orders may have used it:
a change of rate is a new row from the day it applies (orders keep the rate they were placed
with, docs/decisions/0052)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from catalog.models import TaxRate
from catalog.services._common import check_fields
from catalog.taxes import TaxClass
from core.errors import InvalidInput, NotFound

TAX_RATE_FIELDS = ("country", "tax_class", "rate", "valid_from", "note")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    problems: dict[str, list[str]] = {}
    country = str(cleaned.get("country", "")).strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        problems["country"] = ["An ISO 3166-1 alpha-2 code, e.g. DE."]
    cleaned["country"] = country
    if cleaned.get("tax_class") not in TaxClass.values:
        problems["tax_class"] = [f"One of {', '.join(TaxClass.values)}."]
    rate = cleaned.get("rate")
    if (
        not isinstance(rate, Decimal)
        or not rate.is_finite()
        or not (0 <= rate < 100)
        or rate != rate.quantize(Decimal("0.01"))
    ):
        problems["rate"] = ["A percentage from 0 to below 100 with at most two decimals."]
    elif cleaned.get("tax_class") == TaxClass.ZERO and rate != 0:
        problems["rate"] = ["The zero class is taxed at 0%."]
    if not isinstance(cleaned.get("valid_from"), date):
        problems["valid_from"] = ["A date."]
    if problems:
        raise InvalidInput(fields=problems)
    return cleaned


def add_tax_rate(values: dict[str, Any]) -> TaxRate:
    """A rate of a class in a country from `valid_from` on (one per country, class and day)."""
    check_fields(values, TAX_RATE_FIELDS)
    cleaned = _clean(values)
    try:
        with transaction.atomic():
            return TaxRate.objects.create(**cleaned)
    except IntegrityError:
        raise InvalidInput(
            fields={"valid_from": ["This class already has a rate from that day in this country."]},
            code="tax_rate_exists",
        ) from None


def update_tax_rate(rate_id: int, changes: dict[str, Any]) -> TaxRate:
    check_fields(changes, TAX_RATE_FIELDS)
    with transaction.atomic():
        rate = TaxRate.objects.select_for_update().filter(pk=rate_id).first()
        if rate is None:
            raise NotFound("No such tax rate.")
        cleaned = _clean({**{name: getattr(rate, name) for name in TAX_RATE_FIELDS}, **changes})
        for name, value in cleaned.items():
            setattr(rate, name, value)
        try:
            with transaction.atomic():
                rate.save()
        except IntegrityError:
            raise InvalidInput(
                fields={"valid_from": ["This class already has a rate from that day in this country."]},
                code="tax_rate_exists",
            ) from None
    return rate


def delete_tax_rate(rate_id: int) -> None:
    with transaction.atomic():
        TaxRate.objects.filter(pk=rate_id).delete()
