"""The cart: one open cart per customer (or per anonymous visitor's token), lines of variants with
decimal quantities, prices always the catalog's current ones (cart_prices.py prices it and tells
the reasons a line cannot be ordered as it is). Every change locks the cart row, bumps its version
and drops a checkout's stock reservation (it no longer matches the lines; the held slot stays)."""

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.selectors import counted_in_pieces, variants_on_sale
from core import quantities
from core.quantities import quantity_text
from inventory.services import release_reservation
from orders.errors import CartLineNotFound, CartTooLarge, InvalidQuantity, VariantNotFound
from orders.models import Cart, CartLine, CartState, Substitution

# Re-exported: the priced cart is reached as orders.services.cart.<name>, like the rest of the cart.
from orders.services.cart_prices import (  # noqa: F401
    PricedCart,
    PricedLine,
    acknowledge_prices,
    apply_discounts,
    cart_lines,
    first_order,
    item_limit,
    line_problems,
    price_cart,
)
from promotions import calculation
from promotions import selectors as promotions
from promotions.errors import VoucherNotFound

if TYPE_CHECKING:
    from accounts.models import User
    from catalog.models import Variant

logger = logging.getLogger(__name__)

MAX_QUANTITY = Decimal("99999")


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
