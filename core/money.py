"""Money: amounts are `Decimal` with exactly two places next to an ISO 4217 currency code.

Two ways to get an amount, on purpose different:
- `parse_amount` for what someone *gave* us (a price, a refund, an event field): anything that is
  not a finite number in whole cents is refused, never rounded, because rounding an input silently
  changes what the sender meant;
- `round_amount` for what we *computed* (a weighed line's price): rounded to the cent half up, as a
  till does, so every app rounds the same way.

No floats anywhere: a float is refused even when it looks like a whole number of cents.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeGuard

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class InvalidAmount(ValueError):
    """Not an amount in whole cents; callers turn it into their own domain error."""


class InvalidCurrency(ValueError):
    """Not an ISO 4217 currency code."""


def parse_amount(value: object) -> Decimal:
    """The amount `value` (a Decimal, an int or a decimal string) with exactly two places.

    Refuses floats, bools, non-finite numbers and sub-cent amounts. Negative amounts pass (a
    refund or a correction may be one): callers state their own bounds. Minus zero becomes zero.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | str) and not isinstance(value, bool):
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise InvalidAmount(f"not a number: {value!r}") from None
    else:
        raise InvalidAmount(f"an amount is a Decimal, an int or a decimal string, not {value!r}")
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {value!r}")
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:  # more digits than the decimal context holds
        raise InvalidAmount(f"{value!r} is too large an amount") from None
    if cents != amount:
        raise InvalidAmount(f"{amount} has more than two decimals")
    return cents.copy_abs() if cents.is_zero() else cents


def is_amount(value: object) -> bool:
    """Whether `parse_amount` would take `value`."""
    try:
        parse_amount(value)
    except InvalidAmount:
        return False
    return True


def round_amount(value: Decimal) -> Decimal:
    """A computed amount to the cent, half up (0.005 -> 0.01, -0.005 -> -0.01)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """The amount in the currency's minor unit (12.34 -> 1234), for gateways that count in cents."""
    return int(parse_amount(amount) * 100)


def from_cents(cents: int) -> Decimal:
    """An amount from minor units (1234 -> 12.34)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidAmount(f"cents are an int, not {cents!r}")
    return parse_amount(Decimal(cents).scaleb(-2))


def is_currency(code: object) -> TypeGuard[str]:
    """Shaped like an ISO 4217 code: three upper-case ASCII letters (what the tables' CHECK
    constraints also say). Which currencies the shop sells in is `settings.CATALOG_CURRENCIES`."""
    return isinstance(code, str) and len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def check_currency(code: object) -> str:
    if not is_currency(code):
        raise InvalidCurrency(f"currency must be an ISO 4217 code like 'EUR', not {code!r}")
    return code


def shop_currencies() -> list[str]:
    return list(settings.CATALOG_CURRENCIES)


def default_currency() -> str:
    """The shop's currency: the first of `CATALOG_CURRENCIES` (a callable, so it can be a model
    field's default and a setting change needs no migration)."""
    return str(settings.CATALOG_CURRENCIES[0])


def amount_text(amount: Decimal) -> str:
    """The amount as the API and the events write it: two decimals, no exponent, never "-0.00".
    An amount with more places (only a computed one) is rounded half up first."""
    rounded = round_amount(amount)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"


def format_money(amount: Decimal | None, currency: str) -> str:
    """For people (admin lists, messages): "12.50 EUR", or a dash when there is no amount."""
    return "-" if amount is None else f"{amount_text(amount)} {currency}"
