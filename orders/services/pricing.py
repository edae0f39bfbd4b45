"""Prices of carts and orders: what a line costs, the subtotal, the discounts (promotions computes
them), fee and total, and what the payment authorization must cover."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from catalog.selectors import counted_in_pieces
from core.money import round_amount
from promotions.calculation import Discounts

if TYPE_CHECKING:
    from catalog.models import Variant

ZERO = Decimal("0.00")


def line_total(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """Per unit times quantity (weights to the gram), rounded to the cent half up, as a till does."""
    return round_amount(unit_price * quantity)


def display_name(variant: "Variant") -> str:
    """The name a receipt shows: product, then variant ("Bananas, loose")."""
    return f"{variant.product.name}, {variant.name}" if variant.name else variant.product.name


def weighed(unit: str) -> bool:
    return not counted_in_pieces(unit)


def picking_margin(unit: str) -> Decimal:
    """How much more than ordered a picker may weigh out (pieces: none)."""
    return Decimal(settings.ORDERS_WEIGHED_MARGIN_PERCENT) / 100 if weighed(unit) else Decimal(0)


@dataclass
class Summary:
    currency: str
    subtotal: Decimal = ZERO
    delivery_fee: Decimal = ZERO
    # Promotions and the voucher: off the goods (the lines' discount_amount summed), off delivery.
    discount_total: Decimal = ZERO
    delivery_discount: Decimal = ZERO
    discounts: Discounts = field(default_factory=Discounts)
    # The authorization covers weighed lines picked up to the margin heavier.
    margin: Decimal = ZERO
    lines: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def goods_total(self) -> Decimal:
        """The goods after discounts: what delivery's free-over threshold looks at."""
        return self.subtotal - self.discount_total

    @property
    def total(self) -> Decimal:
        return self.goods_total + self.delivery_fee - self.delivery_discount

    def set_delivery_fee(self, fee: Decimal) -> None:
        self.delivery_fee = fee
        self.delivery_discount = self.discounts.delivery_discount(fee)

    @property
    def authorized_amount(self) -> Decimal:
        return self.total + self.margin


def add_line(summary: Summary, unit_price: Decimal, quantity: Decimal, unit: str) -> Decimal:
    amount = line_total(unit_price, quantity)
    summary.subtotal += amount
    # What the heaviest allowed pick would cost, rounded as the picked line will be: the sum of
    # the picked lines can then never exceed the authorization (rounding is monotonic).
    summary.margin += line_total(unit_price, quantity * (1 + picking_margin(unit))) - amount
    summary.lines += 1
    return amount
