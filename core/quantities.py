"""Quantities: `Decimal` with at most three places, because groceries are sold by weight and
volume to the gram or millilitre; pieces are whole.

`clean_quantity` is the one check of a quantity someone gave us (a cart line, a stock count, a
pick). It names the first rule broken as a `Problem`, with a default wording; each app turns that
into its own domain error and, where its API long had other wording, its own message.
"""

import enum
from decimal import Context, Decimal

MILLI = Decimal("0.001")
PLACES = 3
# What the widest quantity column holds (14 digits, 3 of them decimals).
MAX_QUANTITY = Decimal("99999999999.999")
# catalog.models.Unit.PIECE: core sits below catalog, so it names the one unit it needs by value.
PIECE = "piece"


class Problem(enum.Enum):
    NOT_A_NUMBER = "not a number (use a dot for decimals)"
    NOT_FINITE = "must be a finite number"
    NEGATIVE = "must not be negative"
    ZERO = "must be more than 0"
    TOO_LARGE = "must be at most {maximum}"
    NOT_WHOLE = "items sold by the piece are counted in whole numbers"
    TOO_PRECISE = "at most three decimals (grams, millilitres)"
    OFF_STEP = "must be a multiple of {step} {unit}"

    @property
    def is_grain(self) -> bool:
        """A number of the right size, but finer than the unit or step allows."""
        return self in (Problem.NOT_WHOLE, Problem.TOO_PRECISE, Problem.OFF_STEP)


class QuantityRefused(ValueError):
    def __init__(self, problem: Problem, reason: str) -> None:
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


def quantity_text(value: Decimal) -> str:
    """As people write it: 3, 1.25, 0.1 (no padding, no exponent)."""
    return f"{value.normalize():f}" if value else "0"


def quantize_quantity(value: Decimal) -> Decimal:
    """To three places, however large (a database value, a checked input)."""
    if value.adjusted() < 20:  # fits any sane context: the common case, kept fast
        return value.quantize(MILLI)
    # quantize refuses results wider than the context
    return value.quantize(MILLI, context=Context(prec=value.adjusted() + PLACES + 2))


def as_quantity(value: object) -> Decimal:
    """A quantity read from the database: SQLite (the embedded run) hands numbers back as int or
    float, PostgreSQL as Decimal."""
    return value if isinstance(value, Decimal) else quantize_quantity(Decimal(str(value)))


def clean_quantity(
    value: object,
    *,
    unit: str = "",
    step: Decimal | None = None,
    allow_zero: bool = False,
    maximum: Decimal | None = MAX_QUANTITY,
) -> Decimal:
    """`value` (a Decimal, or anything whose text is a decimal number) as a quantity of `unit` with
    three places: finite, more than 0 (or 0 or more with `allow_zero`), at most `maximum` (None: no
    bound), whole for pieces (no unit: any three places), at most three decimals and, with `step`, a
    multiple of it.
    Raises QuantityRefused naming the first rule broken, checked in that order."""

    def refuse(problem: Problem, **details: object) -> QuantityRefused:
        return QuantityRefused(problem, problem.value.format(**details))

    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError:
        raise refuse(Problem.NOT_A_NUMBER) from None
    if not number.is_finite():
        raise refuse(Problem.NOT_FINITE)
    if number < 0:
        raise refuse(Problem.NEGATIVE if allow_zero else Problem.ZERO)
    if number == 0 and not allow_zero:
        raise refuse(Problem.ZERO)
    if maximum is not None and number > maximum:
        raise refuse(Problem.TOO_LARGE, maximum=maximum)
    if unit == PIECE and number != number.to_integral_value():
        raise refuse(Problem.NOT_WHOLE)
    quantized = quantize_quantity(number)
    if number != quantized:
        raise refuse(Problem.TOO_PRECISE)
    if step is not None and _remainder(quantized, step) != 0:
        raise refuse(Problem.OFF_STEP, step=quantity_text(step), unit=unit)
    return quantized


def _remainder(number: Decimal, step: Decimal) -> Decimal:
    # The integer quotient must fit the context, or Decimal refuses to divide.
    digits = max(28, number.adjusted() - step.adjusted() + PLACES + 2)
    return Context(prec=digits).remainder(number, step)
