"""The cart at the catalog's current prices: its lines read in one statement, each line's price,
discount and the reasons it cannot be ordered as it is (orders/services/cart.py changes the cart)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from psycopg.types.numeric import Int8

from core.db import rows
from core.db.statements import hot_cursor
from core.money import default_currency
from inventory.services import availability
from orders.models import Cart, CartLine, Order, OrderStatus, PurchaseLimit
from orders.services.pricing import ZERO, Summary, add_line, display_name
from promotions import calculation
from promotions import selectors as promotions

if TYPE_CHECKING:
    from catalog.models import Variant
    from core.vat import Taxed
    from orders.services.tax import BasketVat


@dataclass
class PricedLine:
    line: CartLine
    unit_price: Decimal
    total: Decimal
    price_changed_from: Decimal | None
    problems: list[str]
    discount_amount: Decimal = ZERO
    tax: "Taxed | None" = None  # orders.services.tax.basket_vat: the line's VAT

    @property
    def name(self) -> str:
        return display_name(self.line.variant)


@dataclass
class PricedCart:
    cart: Cart
    lines: list[PricedLine]
    summary: Summary
    vat: "BasketVat | None" = None  # orders.services.tax.basket_vat, once the delivery fee is known


def item_limit(variant: "Variant") -> Decimal:
    limit: PurchaseLimit | None = getattr(variant, "purchase_limit", None)
    return limit.max_quantity if limit is not None else Decimal(settings.ORDERS_DEFAULT_ITEM_LIMIT)


def line_problems(variant: "Variant", quantity: Decimal, available: Decimal | None) -> list[str]:
    """Why this line cannot be ordered as it is (empty: it can)."""
    if not (variant.is_active and variant.product.is_active):
        return ["This item is no longer sold; remove it."]
    problems = []
    limit = item_limit(variant)
    if quantity > limit:
        problems.append(f"At most {limit.normalize():f} {variant.unit} of this item per order.")
    if available is not None and available < quantity:
        problems.append(
            f"Only {max(available, Decimal(0)).normalize():f} {variant.unit} available."
            if available > 0
            else "Out of stock."
        )
    return problems


_LINES_SQL: list[str] = []


def _lines_sql() -> str:
    """The lines with their variants, products, categories and limits: one joined SELECT written
    once (the ORM's select_related compiled it on every call, at more cost than running it)."""
    if not _LINES_SQL:
        variant = rows.related(CartLine, "variant")
        product = rows.related(variant, "product")
        category = rows.related(product, "category")
        _LINES_SQL.append(
            f"SELECT {rows.select_list(CartLine, 'l')}, {rows.select_list(variant, 'v')}, "  # noqa: S608
            f"{rows.select_list(product, 'p')}, {rows.select_list(category, 'c')}, "
            f"{rows.select_list(PurchaseLimit, 'pl')} "
            f"FROM {rows.table(CartLine)} l JOIN {rows.table(variant)} v ON v.id = l.variant_id "
            f"JOIN {rows.table(product)} p ON p.id = v.product_id "
            f"JOIN {rows.table(category)} c ON c.id = p.category_id "
            f"LEFT JOIN {rows.table(PurchaseLimit)} pl ON pl.variant_id = v.id WHERE l.cart_id = %s"
        )
    return _LINES_SQL[0]


def cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with their variants, products, categories and limits, in the order they
    were added (CartLine's ordering), read by one hand-written SELECT (`_lines_sql`). Sorted here
    rather than by the query. The chosen substitute is read by its id only (the API and placement),
    so it is not joined."""
    variant_model = rows.related(CartLine, "variant")
    product_model = rows.related(variant_model, "product")
    category_model = rows.related(product_model, "category")
    to_cart, to_variant = rows.field(CartLine, "cart"), rows.field(CartLine, "variant")
    to_product, to_category = rows.field(variant_model, "product"), rows.field(product_model, "category")
    to_limit, limit_of = rows.field(variant_model, "purchase_limit"), rows.field(PurchaseLimit, "variant")
    lines = []
    with hot_cursor() as cursor:  # prepared once per connection on PostgreSQL (core.db.statements)
        cursor.execute(_lines_sql(), [Int8(cart.pk)])
        fetched = cursor.fetchall()
    for row in fetched:
        taken = rows.Rows(row)
        line, variant = taken.take(CartLine), taken.take(variant_model)
        product, category, limit = taken.take(product_model), taken.take(category_model), taken.take(PurchaseLimit)
        assert line is not None and variant is not None and product is not None
        to_cart.set_cached_value(line, cart)
        to_variant.set_cached_value(line, variant)
        to_product.set_cached_value(variant, product)
        to_category.set_cached_value(product, category)
        to_limit.set_cached_value(variant, limit)
        if limit is not None:
            limit_of.set_cached_value(limit, variant)
        lines.append(line)
    lines.sort(key=lambda line: (line.added_at, line.pk))
    return lines


def price_cart(cart: Cart, *, warehouse_code: str | None = None, check_stock: bool = True) -> PricedCart:
    """The cart at current catalog prices, with each line's problems. Stock is checked in the
    checkout's warehouse when there is one (across warehouses before), unless the checkout's
    reservation holds it already (counting it as taken would call the last units sold out)."""
    check_stock = check_stock and cart.reservation_id is None
    lines = cart_lines(cart)
    stock = availability([line.variant_id for line in lines], warehouse_code) if check_stock and lines else {}
    summary = Summary(currency=lines[0].variant.currency if lines else default_currency())
    priced = []
    for line in lines:
        variant = line.variant
        found = stock.get(line.variant_id)
        available = (found.available if found else Decimal(0)) if check_stock else None
        problems = line_problems(variant, line.quantity, available)
        if variant.currency != summary.currency:
            problems.append(f"Priced in {variant.currency}, the cart in {summary.currency}.")
        total = add_line(summary, variant.price, line.quantity, variant.unit)
        changed = line.price_seen if line.price_seen != variant.price else None
        priced.append(PricedLine(line, variant.price, total, changed, problems))
        if problems:
            summary.problems[str(line.pk)] = problems
    if priced:
        apply_discounts(cart, priced, summary)
    return PricedCart(cart, priced, summary)


def first_order(customer_id: int | None) -> bool:
    """No order of the customer's yet that was not cancelled (asked only when a first-order
    promotion is in play)."""
    if customer_id is None:
        return False
    return not Order.objects.filter(customer_id=customer_id).exclude(status=OrderStatus.CANCELLED).exists()


def apply_discounts(cart: Cart, priced: list[PricedLine], summary: Summary) -> None:
    """The running promotions and the cart's voucher on its lines (promotions computes them): one
    query without promotions, a few more with them."""
    items = [
        calculation.Item(
            key=str(item.line.pk),
            variant_id=item.line.variant_id,
            product_id=item.line.variant.product_id,
            category_path=item.line.variant.product.category.path,
            unit_price=item.unit_price,
            quantity=item.line.quantity,
            amount=item.total,
        )
        for item in priced
    ]
    voucher = (
        promotions.voucher_state(cart.voucher_code, customer_id=cart.customer_id, currency=summary.currency)
        if cart.voucher_code
        else None
    )
    discounts = calculation.calculate(
        items,
        promotions.running_rules(summary.currency),
        voucher=voucher,
        first_order=lambda: first_order(cart.customer_id),
    )
    for item in priced:
        item.discount_amount = discounts.per_line.get(str(item.line.pk), ZERO)
    summary.discounts, summary.discount_total = discounts, discounts.items_total


def acknowledge_prices(priced: PricedCart) -> None:
    """The customer has now seen the current prices: the next view reports only later changes."""
    for item in priced.lines:
        if item.price_changed_from is not None:
            CartLine.objects.filter(pk=item.line.pk).update(price_seen=item.unit_price)
