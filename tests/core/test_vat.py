"""VAT on gross prices (core.vat, docs/decisions/0052): exact figures per rate, the delivery fee at
its own rate under both rules, discounts lowering the base, and per-line rounding on a big basket."""

from decimal import Decimal as D

import pytest

from core import vat


def test_a_mixed_basket_with_a_delivery_fee_shows_net_vat_and_gross_per_rate() -> None:
    # Milk 3 x 1.19 and apples 4.50 at 7%, wine 8.99 at 19%, a newspaper at 0%, fee 3.90.
    lines = [(D("3.57"), D("7.00")), (D("4.50"), D("7.00")), (D("8.99"), D("19.00")), (D("2.20"), D("0.00"))]
    standard = vat.compute_vat(lines, delivery_fee=D("3.90"), delivery_rule="standard", standard_rate=D("19.00"))
    assert [line.vat for line in standard.lines] == [D("0.23"), D("0.29"), D("1.44"), D("0.00")]
    assert standard.delivery == vat.Taxed(gross=D("3.90"), rate=D("19.00"), vat=D("0.62"))
    assert [(r.rate, r.net, r.vat, r.gross) for r in standard.breakdown.rates] == [
        (D("19.00"), D("10.83"), D("2.06"), D("12.89")),
        (D("7.00"), D("7.55"), D("0.52"), D("8.07")),
        (D("0.00"), D("2.20"), D("0.00"), D("2.20")),
    ]
    assert (standard.breakdown.net, standard.breakdown.vat, standard.breakdown.gross) == (
        D("20.58"),
        D("2.58"),
        D("23.16"),
    )
    # Dominant: the largest share of these goods is the wine at 19% (8.99 against 8.07 at 7%) ...
    dominant = vat.compute_vat(lines, delivery_fee=D("3.90"), delivery_rule="dominant", standard_rate=D("19.00"))
    assert dominant.delivery.rate == D("19.00")
    # ... and of these the food at 7% (12.40 against 8.99): the fee follows it.
    groceries = [(D("12.40"), D("7.00")), (D("8.99"), D("19.00"))]
    food_first = vat.compute_vat(groceries, delivery_fee=D("3.90"), delivery_rule="dominant", standard_rate=D("19.00"))
    assert food_first.delivery == vat.Taxed(gross=D("3.90"), rate=D("7.00"), vat=D("0.26"))
    assert [(r.rate, r.vat, r.gross) for r in food_first.breakdown.rates] == [
        (D("19.00"), D("1.44"), D("8.99")),
        (D("7.00"), D("1.07"), D("16.30")),
    ]


def test_a_tie_in_the_dominant_rule_goes_to_the_higher_rate_and_no_goods_to_the_standard_rate() -> None:
    assert vat.delivery_rate(
        [(D("5.00"), D("7.00")), (D("5.00"), D("19.00"))], rule="dominant", standard_rate=D("19.00")
    ) == D("19.00")
    assert vat.delivery_rate([(D("0.00"), D("7.00"))], rule="dominant", standard_rate=D("19.00")) == D("19.00")
    with pytest.raises(vat.UnknownDeliveryRule):
        vat.delivery_rate([], rule="cheapest", standard_rate=D("19.00"))


def test_a_discount_lowers_the_base_of_the_line_it_applies_to_only() -> None:
    # Cheese 10.00 at 7% with 2.50 off, wine 10.00 at 19%: the line's gross after discount is taxed.
    computed = vat.compute_vat(
        [(D("10.00") - D("2.50"), D("7.00")), (D("10.00"), D("19.00"))],
        delivery_fee=D("0.00"),
        delivery_rule="standard",
        standard_rate=D("19.00"),
    )
    assert [line.vat for line in computed.lines] == [D("0.49"), D("1.60")]
    assert [(r.rate, r.net, r.gross) for r in computed.breakdown.rates] == [
        (D("19.00"), D("8.40"), D("10.00")),
        (D("7.00"), D("7.01"), D("7.50")),
    ]  # a free delivery adds no row


def test_vat_is_rounded_per_line_so_a_basket_of_many_lines_adds_up_to_its_lines() -> None:
    # 40 lines of 0.99 at 7%: 0.0648 each, 0.06 rounded, 2.40 in all (2.59 if the rate's sum were
    # rounded once); 25 lines of 1.33 at 19%: 0.2124 each, 0.21, 5.25 (5.31 summed first).
    lines = [(D("0.99"), D("7.00"))] * 40 + [(D("1.33"), D("19.00"))] * 25
    computed = vat.compute_vat(lines, delivery_fee=D("2.99"), delivery_rule="standard", standard_rate=D("19.00"))
    assert [(r.rate, r.net, r.vat, r.gross) for r in computed.breakdown.rates] == [
        (D("19.00"), D("30.51"), D("5.73"), D("36.24")),  # 33.25 goods + 2.99 fee (VAT 0.48)
        (D("7.00"), D("37.20"), D("2.40"), D("39.60")),
    ]
    assert computed.breakdown.gross == D("75.84") == sum((g for g, _ in lines), D("0")) + D("2.99")
    assert computed.breakdown.vat == sum((line.vat for line in computed.lines), computed.delivery.vat)
    # Half a cent rounds up, as a till does: 1.07 at 7% holds exactly 0.07; 0.15 at 7% 0.0098.
    assert (vat.vat_in(D("1.07"), D("7.00")), vat.vat_in(D("0.15"), D("7.00"))) == (D("0.07"), D("0.01"))


def test_a_refund_is_shared_over_rates_to_the_cent() -> None:
    assert vat.allocate(D("10.00"), [D("16.30"), D("8.99")]) == [D("6.45"), D("3.55")]
    assert vat.allocate(D("0.01"), [D("1.00"), D("1.00")]) == [D("0.01"), D("0.00")]
    assert sum(vat.allocate(D("7.77"), [D("1.11"), D("2.22"), D("3.33")])) == D("7.77")
