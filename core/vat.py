"""VAT on gross prices: what part of an amount the customer pays is VAT, per line and per rate.

Prices are gross (what the customer sees and pays). The rule (docs/decisions/0052):
- each line's VAT is computed from its own taxable gross (after any discount on that line) and
  rounded to the cent half up: vat = round(gross * rate / (100 + rate)); net = gross - vat;
- the delivery fee is one more line, taxed at the rate `delivery_rate` picks;
- the breakdown per rate sums the lines' rounded figures, so every document adds up exactly:
  the sum of the lines is the breakdown, the breakdown's gross is what the customer pays.

Rates are percentages with two places ("19.00", "7.00", "5.50"). Pure functions: no database, no
settings; callers pass the rates they looked up.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, round_amount

HUNDRED = Decimal(100)

# How the delivery fee is taxed (settings.VAT_DELIVERY_FEE_RULE).
DELIVERY_STANDARD = "standard"  # at the country's standard rate
DELIVERY_DOMINANT = "dominant"  # at the rate of the largest share of the basket's taxable gross
DELIVERY_RULES = (DELIVERY_STANDARD, DELIVERY_DOMINANT)


class UnknownDeliveryRule(ValueError):
    """A VAT_DELIVERY_FEE_RULE that is none of DELIVERY_RULES (a configuration error)."""


@dataclass(frozen=True)
class Taxed:
    """One taxed amount: a line, or the delivery fee."""

    gross: Decimal
    rate: Decimal
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Breakdown:
    """Net, VAT and gross per rate (highest rate first) and in all."""

    rates: tuple[RateTotal, ...]

    @property
    def net(self) -> Decimal:
        return sum((r.net for r in self.rates), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((r.vat for r in self.rates), ZERO)

    @property
    def gross(self) -> Decimal:
        return sum((r.gross for r in self.rates), ZERO)


def vat_in(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a gross amount at `rate` percent, to the cent half up."""
    if rate < 0 or rate >= HUNDRED:
        raise ValueError(f"a VAT rate is a percentage from 0 to below 100, not {rate}")
    return round_amount(gross * rate / (HUNDRED + rate))


def tax(gross: Decimal, rate: Decimal) -> Taxed:
    return Taxed(gross=gross, rate=rate, vat=vat_in(gross, rate))


def delivery_rate(lines: Iterable[Taxed | tuple[Decimal, Decimal]], *, rule: str, standard_rate: Decimal) -> Decimal:
    """The rate the delivery fee is taxed at. `dominant`: the rate carrying the largest share of the
    lines' taxable gross (a tie goes to the higher rate; no goods: the standard rate)."""
    if rule == DELIVERY_STANDARD:
        return standard_rate
    if rule != DELIVERY_DOMINANT:
        raise UnknownDeliveryRule(f"VAT_DELIVERY_FEE_RULE must be one of {', '.join(DELIVERY_RULES)}, not {rule!r}")
    shares: dict[Decimal, Decimal] = {}
    for line in lines:
        gross, rate = (line.gross, line.rate) if isinstance(line, Taxed) else line
        shares[rate] = shares.get(rate, ZERO) + gross
    positive = {rate: gross for rate, gross in shares.items() if gross > 0}
    if not positive:
        return standard_rate
    return max(positive, key=lambda rate: (positive[rate], rate))


def breakdown(taxed: Iterable[Taxed]) -> Breakdown:
    """Sum already taxed (rounded) lines per rate; nothing is rounded again."""
    per_rate: dict[Decimal, list[Decimal]] = {}
    for item in taxed:
        sums = per_rate.setdefault(item.rate, [ZERO, ZERO])
        sums[0] += item.gross
        sums[1] += item.vat
    return Breakdown(
        tuple(
            RateTotal(rate=rate, net=gross - vat, vat=vat, gross=gross)
            for rate, (gross, vat) in sorted(per_rate.items(), key=lambda pair: pair[0], reverse=True)
        )
    )


@dataclass(frozen=True)
class Computed:
    lines: tuple[Taxed, ...]
    delivery: Taxed
    breakdown: Breakdown


def compute_vat(
    lines: Sequence[tuple[Decimal, Decimal]],
    *,
    delivery_fee: Decimal,
    delivery_rule: str,
    standard_rate: Decimal,
) -> Computed:
    """The whole computation for a basket: `lines` are (taxable gross after discount, rate) pairs,
    `delivery_fee` the fee after any discount. The delivery fee's share appears in the breakdown
    under its rate (a zero fee adds nothing)."""
    taxed = tuple(tax(gross, rate) for gross, rate in lines)
    fee = tax(delivery_fee, delivery_rate(taxed, rule=delivery_rule, standard_rate=standard_rate))
    return Computed(taxed, fee, breakdown([*taxed, fee] if fee.gross else taxed))


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`amount` split in cents in proportion to `weights` (largest remainder: the parts add up to
    `amount` exactly; ties go to the earlier weight). A refund shared over a document's rates."""
    total = sum(weights, ZERO)
    if total <= 0:
        raise ValueError("nothing to allocate over")
    cents = int((amount * 100).to_integral_value())
    exact = [Decimal(cents) * w / total for w in weights]
    floors = [int(e) for e in exact]
    rest = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:rest]:
        floors[i] += 1
    return [Decimal(f).scaleb(-2).quantize(Decimal("0.01")) for f in floors]
