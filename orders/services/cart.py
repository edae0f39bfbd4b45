"""The cart: one open cart per customer (or per anonymous visitor's token), lines of variants with
decimal quantities, prices always the catalog's current ones, and the reasons a line cannot be
ordered as it is. Every change locks the cart row, bumps its version and drops a checkout's stock
reservation (it no longer matches the lines; the held slot stays)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from psycopg.types.numeric import Int8

from catalog.selectors import counted_in_pieces, variants_on_sale
from core import quantities
from core.db import rows
from core.db.statements import hot_cursor
from core.money import default_currency
from core.quantities import quantity_text
from inventory.services import availability, release_reservation
from orders.errors import CartLineNotFound, CartTooLarge, InvalidQuantity, VariantNotFound
from orders.models import Cart, CartLine, CartState, Order, OrderStatus, PurchaseLimit, Substitution
from orders.services.pricing import ZERO, Summary, add_line, display_name
from promotions import calculation
from promotions import selectors as promotions
from promotions.errors import VoucherNotFound

if TYPE_CHECKING:
    from accounts.models import User
    from catalog.models import Variant
    from core.vat import Taxed
    from orders.services.tax import BasketVat

logger = logging.getLogger(__name__)

MAX_QUANTITY = Decimal("99999")


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


# --- Reading ----------------------------------------------------------------------------------


def open_cart_of(
    customer: "User | None" = None, token: uuid.UUID | None = None, *, create: bool = True, lock: bool = False
) -> Cart | None:
    """The customer's open cart, or the anonymous cart with this token (created when missing and
    `create`); `lock` takes its row lock (the caller is in a transaction)."""
    carts = Cart.objects.select_for_update(of=("self",)) if lock else Cart.objects.all()
    if customer is not None:
        cart = carts.filter(customer=customer, state=CartState.OPEN).first()
        if cart is None and create:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(customer=customer)
            except IntegrityError:  # a concurrent first request created it
                cart = carts.get(customer=customer, state=CartState.OPEN)
        return cart
    cart = carts.filter(token=token, customer__isnull=True, state=CartState.OPEN).first() if token else None
    if cart is None and create:
        cart = Cart.objects.create()
    return cart


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


# --- Changing ---------------------------------------------------------------------------------


def apply_voucher(cart: Cart, code: str) -> Cart:
    """Put the code on the cart (an unknown one is refused); whether it applies is the price's
    answer, shown with the reason when it does not. The checkout stays valid: placement prices
    again, and the customer's expected total catches a change."""
    found = promotions.voucher_code(code)
    if found is None:
        raise VoucherNotFound(fields={"code": [calculation.REASONS[calculation.NOT_FOUND]]})
    Cart.objects.filter(pk=cart.pk).update(voucher_code=found.code, updated_at=timezone.now())
    cart.voucher_code = found.code
    return cart


def remove_voucher(cart: Cart) -> Cart:
    Cart.objects.filter(pk=cart.pk).update(voucher_code="", updated_at=timezone.now())
    cart.voucher_code = ""
    return cart


def clean_quantity(value: object, variant: "Variant", field: str = "quantity") -> Decimal:
    """A positive decimal in the variant's steps (pieces whole, weights to the gram): core's rules,
    with the wording the cart API has always answered."""
    try:
        return quantities.clean_quantity(value, unit=variant.unit, step=variant.step, maximum=MAX_QUANTITY)
    except quantities.QuantityRefused as exc:
        if not exc.problem.is_grain:
            raise InvalidQuantity(fields={field: ["Must be a number more than 0."]}) from None
        unit = "pieces" if counted_in_pieces(variant.unit) else variant.unit
        steps = f"Order {variant.sku} in steps of {quantity_text(variant.step)} {unit}."
        raise InvalidQuantity(fields={field: [steps]}) from None


def _variant(variant_id: int, field: str = "variant") -> "Variant":
    variant = variants_on_sale().select_related("purchase_limit").filter(pk=variant_id).first()
    if variant is None:
        raise VariantNotFound(fields={field: ["No item on sale has this id."]})
    return variant


def _substitute(substitution: str, substitute_id: int | None, variant: "Variant") -> "Variant | None":
    if substitution != Substitution.CHOSEN:
        if substitute_id is not None:
            raise InvalidQuantity(fields={"substitute_variant": ['Only with substitution "chosen".']})
        return None
    if substitute_id is None:
        raise InvalidQuantity(fields={"substitute_variant": ["Choose the substitute item."]})
    substitute = _variant(substitute_id, "substitute_variant")
    if substitute.pk == variant.pk or substitute.currency != variant.currency:
        raise InvalidQuantity(fields={"substitute_variant": ["Choose another item, priced in the same currency."]})
    return substitute


def _check_limit(variant: "Variant", quantity: Decimal) -> None:
    limit = item_limit(variant)
    if quantity > limit:
        raise InvalidQuantity(
            fields={"quantity": [f"At most {limit.normalize():f} of {variant.sku} per order."]}, code="above_item_limit"
        )


def _changed(cart: Cart) -> None:
    """After any change of lines: new version, and the checkout's reservation no longer fits."""
    if cart.reservation_id is not None:
        release_reservation(cart.reservation_id, reason="cart changed")
        cart.reservation = None
    cart.version += 1
    cart.updated_at = timezone.now()
    cart.save(update_fields=["version", "updated_at", "reservation"])


def add_to_cart(
    cart: Cart,
    *,
    variant_id: int,
    quantity: object,
    substitution: str | None = None,
    substitute_variant_id: int | None = None,
) -> CartLine:
    """Add the item, or more of it when it is in the cart already (keeping the line's
    substitution preference unless one is given)."""
    variant = _variant(variant_id)
    added = clean_quantity(quantity, variant)
    substitute = _substitute(substitution or Substitution.SIMILAR, substitute_variant_id, variant)
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        line = cart.lines.filter(variant=variant).first()
        if line is None:
            if cart.lines.count() >= settings.ORDERS_MAX_CART_LINES:
                raise CartTooLarge(f"A cart holds at most {settings.ORDERS_MAX_CART_LINES} different items.")
            _check_limit(variant, added)
            line = CartLine.objects.create(
                cart=cart,
                variant=variant,
                quantity=added,
                substitution=substitution or Substitution.SIMILAR,
                substitute_variant=substitute,
                price_seen=variant.price,
            )
        else:
            _check_limit(variant, line.quantity + added)
            line.quantity += added
            if substitution is not None:
                line.substitution, line.substitute_variant = substitution, substitute
            line.save(update_fields=["quantity", "substitution", "substitute_variant"])
        _changed(cart)
    return line


def _locked_line(cart: Cart, line_id: int) -> tuple[Cart, CartLine]:
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    line = cart.lines.select_related("variant__product", "variant__purchase_limit").filter(pk=line_id).first()
    if line is None:
        raise CartLineNotFound("Your cart has no such line.")
    return cart, line


def update_cart_line(
    cart: Cart,
    line_id: int,
    *,
    quantity: object = None,
    substitution: str | None = None,
    substitute_variant_id: int | None = None,
) -> CartLine:
    with transaction.atomic():
        cart, line = _locked_line(cart, line_id)
        if quantity is not None:
            line.quantity = clean_quantity(quantity, line.variant)
            _check_limit(line.variant, line.quantity)
        if substitution is not None:
            line.substitute_variant = _substitute(substitution, substitute_variant_id, line.variant)
            line.substitution = substitution
        line.save(update_fields=["quantity", "substitution", "substitute_variant"])
        _changed(cart)
    return line


def remove_cart_line(cart: Cart, line_id: int) -> None:
    with transaction.atomic():
        cart, line = _locked_line(cart, line_id)
        line.delete()
        _changed(cart)


def clear_cart(cart: Cart) -> None:
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        cart.lines.all().delete()
        _changed(cart)


def purge_abandoned_carts(now: datetime | None = None) -> int:
    """Delete visitors' carts untouched for ORDERS_ANONYMOUS_CART_DAYS (nobody can sign in to them
    any more); customers' carts stay for their next visit."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ORDERS_ANONYMOUS_CART_DAYS)
    stale = Cart.objects.filter(customer__isnull=True, updated_at__lt=cutoff).exclude(state=CartState.ORDERED)
    _, deleted = stale.delete()
    return deleted.get("orders.Cart", 0)


def merge_carts(token: uuid.UUID, customer: "User") -> Cart | None:
    """At sign-in: the anonymous cart's lines join the customer's cart (quantities add up, capped
    at the item's limit) and the anonymous cart is closed. None when there was nothing to merge."""
    with transaction.atomic():
        anonymous = open_cart_of(token=token, create=False, lock=True)
        if anonymous is None:
            return None
        target = open_cart_of(customer, lock=True)
        assert target is not None
        mine = {line.variant_id: line for line in target.lines.all()}
        for line in anonymous.lines.select_related("variant__purchase_limit"):
            limit = item_limit(line.variant)
            existing = mine.get(line.variant_id)
            if existing is None:
                if len(mine) >= settings.ORDERS_MAX_CART_LINES:
                    continue
                line.pk, line.cart, line.quantity = None, target, min(line.quantity, limit)
                line.save()
                mine[line.variant_id] = line
            else:
                CartLine.objects.filter(pk=existing.pk).update(quantity=min(existing.quantity + line.quantity, limit))
        Cart.objects.filter(pk=anonymous.pk).update(
            state=CartState.MERGED, updated_at=timezone.now(), version=F("version") + 1
        )
        _changed(target)
    logger.info("orders: cart %s merged into cart %s of customer %s", anonymous.pk, target.pk, customer.pk)
    return target
