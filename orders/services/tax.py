"""VAT of carts and orders: each line's and the delivery fee's share, from the gross prices
(docs/decisions/0052). The arithmetic is `core.vat`; this module says which amounts are taxed
(`taxable_gross`, `taxable_delivery_fee`), at which country's rates, and snapshots the result on
the order (placement) and its lines (picking recomputes them)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from catalog.selectors import tax_rates_on
from catalog.taxes import TaxClass
from core import vat
from orders.models import Order, OrderLine
from orders.services.pricing import ZERO

if TYPE_CHECKING:
    from orders.services.cart import PricedCart, PricedLine


def taxable_gross(line: "PricedLine | OrderLine") -> Decimal:
    """What a line is taxed on: its gross after the discounts that apply to it. The ONE place a
    line's discount reduces the taxable base (as picked once an order line is picked)."""
    if isinstance(line, OrderLine):
        if line.final_line_total is not None:
            return line.final_line_total - (line.final_discount_amount or ZERO)
        return line.line_total - line.discount_amount
    return line.total - line.discount_amount


def taxable_delivery_fee(fee: Decimal, discount: Decimal = ZERO) -> Decimal:
    """What the delivery fee is taxed on: the fee after any delivery discount."""
    return fee - discount


@dataclass
class BasketVat:
    """A cart's or checkout's VAT: the fee's and per rate (each priced line holds its own)."""

    country: str
    tax_date: date
    delivery: vat.Taxed
    breakdown: vat.Breakdown


def cart_country(priced: "PricedCart") -> str:
    address = priced.cart.address if priced.cart.address_id else None
    return address.country if address is not None else settings.VAT_DEFAULT_COUNTRY


def basket_vat(priced: "PricedCart", *, country: str | None = None, day: date | None = None) -> BasketVat:
    """The VAT of the priced cart with its delivery fee as it stands (one query for the rates).
    Kept on the priced cart, so the API and placement compute it once."""
    if priced.vat is not None:
        return priced.vat
    country = country or cart_country(priced)
    day = day or timezone.localdate()
    rates = tax_rates_on(country, day)
    computed = vat.compute_vat(
        [(taxable_gross(item), rates[item.line.variant.tax_class]) for item in priced.lines],
        delivery_fee=taxable_delivery_fee(priced.summary.delivery_fee, priced.summary.delivery_discount),
        delivery_rule=settings.VAT_DELIVERY_FEE_RULE,
        standard_rate=rates[TaxClass.STANDARD],
    )
    for item, taxed in zip(priced.lines, computed.lines, strict=True):
        item.tax = taxed
    priced.vat = BasketVat(
        country=country,
        tax_date=day,
        delivery=computed.delivery,
        breakdown=computed.breakdown,
    )
    return priced.vat


def retax_discounted(lines: list[OrderLine]) -> None:
    """The picked lines' VAT after packing recomputed their discounts (in place; the caller saves)."""
    for line in lines:
        line.vat_amount = vat.vat_in(taxable_gross(line), line.tax_rate)


def retax_line(line: OrderLine, order: Order, *, tax_class: str) -> None:
    """A picked line's VAT (its gross changed; a substitute may be of another class), in place."""
    if tax_class != line.tax_class:
        line.tax_class = tax_class
        line.tax_rate = tax_rates_on(
            order.tax_country or settings.VAT_DEFAULT_COUNTRY, order.tax_date or timezone.localdate()
        )[tax_class]
    line.vat_amount = vat.vat_in(taxable_gross(line), line.tax_rate)


def retax_delivery(order: Order, lines: list[OrderLine]) -> None:
    """The fee's rate and VAT after picking: under the dominant rule the basket's shares changed."""
    if settings.VAT_DELIVERY_FEE_RULE == vat.DELIVERY_DOMINANT:
        order.delivery_tax_rate = vat.delivery_rate(
            [(taxable_gross(line), line.tax_rate) for line in lines],
            rule=vat.DELIVERY_DOMINANT,
            standard_rate=order.delivery_tax_rate,
        )
    order.delivery_vat_amount = vat.vat_in(
        taxable_delivery_fee(order.delivery_fee, order.delivery_discount), order.delivery_tax_rate
    )


def order_vat(order: Order, lines: list[OrderLine]) -> vat.Breakdown:
    """Net, VAT and gross per rate of the order from its snapshots (as picked once picked);
    nothing is rounded again, so it matches the lines and the invoice to the cent."""
    taxed = [
        vat.Taxed(gross=taxable_gross(line), rate=line.tax_rate, vat=line.vat_amount)
        for line in lines
        if taxable_gross(line)
    ]
    fee = taxable_delivery_fee(order.delivery_fee, order.delivery_discount)
    if fee:
        taxed.append(vat.Taxed(gross=fee, rate=order.delivery_tax_rate, vat=order.delivery_vat_amount))
    return vat.breakdown(taxed)
