"""core.quantities: one check of a quantity, naming the first rule it breaks."""

from decimal import Decimal

import pytest

from catalog.models import Unit
from core.quantities import PIECE, Problem, QuantityRefused, as_quantity, clean_quantity, quantity_text


def refusal(value: object, **rules: object) -> tuple[Problem, str]:
    with pytest.raises(QuantityRefused) as caught:
        clean_quantity(value, **rules)  # type: ignore[arg-type]
    return caught.value.problem, caught.value.reason


def test_quantities_come_out_with_three_places() -> None:
    assert str(clean_quantity("0.25", unit="kg")) == "0.250"
    assert str(clean_quantity(3, unit=PIECE)) == "3.000"
    assert str(clean_quantity(Decimal("1.2000"), unit="kg", step=Decimal("0.1"))) == "1.200"
    assert clean_quantity("0", unit="kg", allow_zero=True) == 0
    assert PIECE == Unit.PIECE
    assert Problem.OFF_STEP.is_grain and Problem.NOT_WHOLE.is_grain and not Problem.TOO_LARGE.is_grain


@pytest.mark.parametrize(
    ("value", "rules", "problem", "reason"),
    [
        ("x", {}, Problem.NOT_A_NUMBER, "not a number (use a dot for decimals)"),
        ("1,5", {}, Problem.NOT_A_NUMBER, "not a number (use a dot for decimals)"),
        (None, {}, Problem.NOT_A_NUMBER, "not a number (use a dot for decimals)"),
        ("NaN", {}, Problem.NOT_FINITE, "must be a finite number"),
        ("-1", {}, Problem.ZERO, "must be more than 0"),
        ("0", {}, Problem.ZERO, "must be more than 0"),
        ("-1", {"allow_zero": True}, Problem.NEGATIVE, "must not be negative"),
        ("100000000000", {}, Problem.TOO_LARGE, "must be at most 99999999999.999"),
        ("6", {"maximum": Decimal("5")}, Problem.TOO_LARGE, "must be at most 5"),
        ("1.5", {"unit": PIECE}, Problem.NOT_WHOLE, "items sold by the piece are counted in whole numbers"),
        ("0.0005", {}, Problem.TOO_PRECISE, "at most three decimals (grams, millilitres)"),
        ("0.3", {"step": Decimal("0.250")}, Problem.OFF_STEP, "must be a multiple of 0.25 kg"),
    ],
)
def test_each_broken_rule_is_named(value: object, rules: dict[str, object], problem: Problem, reason: str) -> None:
    assert refusal(value, **{"unit": "kg", **rules}) == (problem, reason)


def test_huge_numbers_without_a_maximum_are_checked_not_crashed() -> None:
    assert clean_quantity("1E+30", unit=PIECE, maximum=None) == Decimal("1E+30")
    assert refusal("1E+30", unit="kg", step=Decimal("0.007"), maximum=None)[0] is Problem.OFF_STEP


def test_database_numbers_and_text() -> None:
    assert str(as_quantity(1.5)) == "1.500" and str(as_quantity(2)) == "2.000"
    assert as_quantity(Decimal("1.25")) == Decimal("1.25")
    assert quantity_text(Decimal("1.250")) == "1.25" and quantity_text(Decimal("0.000")) == "0"
    assert quantity_text(Decimal("10.000")) == "10"
