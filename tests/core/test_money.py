"""core.money: amounts given are taken in whole cents or refused, amounts computed round half up."""

from decimal import Decimal
from typing import Any

import pytest

from core.money import (
    InvalidAmount,
    InvalidCurrency,
    amount_text,
    check_currency,
    default_currency,
    format_money,
    from_cents,
    is_amount,
    is_currency,
    parse_amount,
    round_amount,
    to_cents,
)


@pytest.mark.parametrize(
    ("given", "amount"),
    [
        (Decimal("12.5"), "12.50"),
        ("  3.10 ", "3.10"),
        (7, "7.00"),
        ("-2", "-2.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-0"), "0.00"),
        (Decimal("2.500"), "2.50"),
    ],
)
def test_amounts_come_out_with_exactly_two_places(given: object, amount: str) -> None:
    parsed = parse_amount(given)
    assert str(parsed) == amount and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "given",
    [
        12.5,
        1.0,
        True,
        None,
        "",
        "ten",
        "1,50",
        Decimal("1.005"),
        "0.001",
        Decimal("NaN"),
        "Infinity",
        Decimal("1E+40"),
    ],
)
def test_anything_but_whole_cents_is_refused_not_rounded(given: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(given)
    assert not is_amount(given)


@pytest.mark.parametrize(
    ("computed", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("-0.005", "-0.01"),
        ("2.345", "2.35"),
        ("2.355", "2.36"),
        ("7", "7.00"),
    ],
)
def test_computed_amounts_round_half_up_like_a_till(computed: str, rounded: str) -> None:
    assert str(round_amount(Decimal(computed))) == rounded


def test_cents_round_trip() -> None:
    for amount in ("0.00", "0.01", "12.34", "-5.60", "99999999.99"):
        cents = to_cents(Decimal(amount))
        assert isinstance(cents, int) and from_cents(cents) == Decimal(amount)
        assert str(from_cents(cents)) == amount
    assert to_cents(Decimal("12.34")) == 1234 and from_cents(5) == Decimal("0.05")
    with pytest.raises(InvalidAmount):
        to_cents(Decimal("0.015"))
    with pytest.raises(InvalidAmount):
        from_cents(1.5)  # type: ignore[arg-type]


def test_currency_codes_are_three_upper_case_ascii_letters() -> None:
    assert check_currency("EUR") == "EUR" and is_currency("USD")
    for bad in ("eur", "EURO", "", "E1R", "ÄUR", None, 978):
        assert not is_currency(bad)
        with pytest.raises(InvalidCurrency, match="ISO 4217"):
            check_currency(bad)


def test_the_default_currency_is_the_shops_first(settings: Any) -> None:
    assert default_currency() == "EUR"
    settings.CATALOG_CURRENCIES = ["CHF", "EUR"]
    assert default_currency() == "CHF"


def test_amounts_are_written_with_two_places_and_never_minus_zero() -> None:
    assert amount_text(Decimal("-0.00")) == "0.00" and amount_text(Decimal("1E+2")) == "100.00"
    assert amount_text(Decimal("0.125")) == "0.13"
    assert format_money(Decimal("12.5"), "EUR") == "12.50 EUR" and format_money(None, "EUR") == "-"
