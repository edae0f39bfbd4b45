"""Placing an order: the checked-out cart becomes an order in one transaction.

The order and its lines are snapshots (name, SKU, price as charged), the held place is booked for
the order, the cart's reservation is handed to the order, and the payment authorization is queued
for the payment worker (on commit). Any refusal on the way rolls all of it back: no half-placed
orders. The order waits in pending payment until payments says authorized or failed.

The hot path is one transaction of single statements without savepoints (the services it calls
take no savepoint where nothing is expected to fail); booking the place comes last because it
locks the slot row, on which every placement in that slot queues.
"""

import functools
import logging
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from psycopg.types.numeric import Int8

from core.db import rows
from core.db.inserts import insert_with_children
from core.db.statements import hot_cursor, statement_cursor
from delivery.selectors import delivery_fee
from delivery.services import holds
from events.bridge import notify_needed, notify_sql, outbox_insert_sql, outbox_written, prepare_event
from events.contracts import money, quantity
from inventory.services import rebind_reservation
from orders.errors import CartEmpty, CheckoutRequired, PriceChanged
from orders.models import ActorKind, Cart, CartState, Order, OrderHistory, OrderLine, OrderStatus
from orders.services.cart import PricedCart, price_cart
from orders.services.checkout import validate_for_order
from orders.services.tax import basket_vat
from orders.signals import order_created
from payments.gateways import get_gateway
from payments.services import start_payment
from promotions.errors import VoucherNotApplicable
from promotions.services import redeem
from proto.events.v1 import orders_pb2

if TYPE_CHECKING:
    from accounts.models import Address, User
    from delivery.models import DeliverySlot

logger = logging.getLogger(__name__)

ADDRESS_FIELDS = (
    "recipient_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "delivery_instructions",
)


def address_snapshot(address: "Address") -> dict[str, str]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _reservation_ttl(slot: "DeliverySlot") -> timedelta:
    """The order's stock stays reserved until a day after its window (picking happens before it),
    within what inventory allows."""
    longest = timedelta(hours=settings.INVENTORY_RESERVATION_MAX_TTL_HOURS)
    return min(max(slot.ends_at - timezone.now(), timedelta(0)) + timedelta(days=1), longest)


_CART_SQL: list[str] = []


def _cart_sql() -> str:
    """The customer's open cart (locked) with its address, zone, held place and slot: one
    hand-written SELECT (the ORM compiled its select_related on every call, at more cost than
    running it). At most one open cart per customer (a unique constraint)."""
    if not _CART_SQL:
        hold = rows.related(Cart, "slot_hold")
        _CART_SQL.append(
            f"SELECT {rows.select_list(Cart, 'c')}, {rows.select_list(_address_model(), 'a')}, "  # noqa: S608
            f"{rows.select_list(_zone_model(), 'z')}, {rows.select_list(hold, 'h')}, "
            f"{rows.select_list(_slot_model(), 's')} FROM {rows.table(Cart)} c "
            f"LEFT JOIN {rows.table(_address_model())} a ON a.id = c.address_id "
            f"LEFT JOIN {rows.table(_zone_model())} z ON z.id = c.zone_id "
            f"LEFT JOIN {rows.table(hold)} h ON h.id = c.slot_hold_id "
            f"LEFT JOIN {rows.table(_slot_model())} s ON s.id = h.slot_id "
            "WHERE c.customer_id = %s AND c.state = %s LIMIT 1"
            # The embedded SQLite locks the whole database for a write transaction instead.
            + (" FOR UPDATE OF c" if connection.features.has_select_for_update_of else "")
        )
    return _CART_SQL[0]


def _address_model() -> Any:
    return rows.related(Cart, "address")


def _zone_model() -> Any:
    return rows.related(Cart, "zone")


def _slot_model() -> Any:
    return rows.related(rows.related(Cart, "slot_hold"), "slot")


def _checked_out_cart(customer: "User") -> Cart:
    with hot_cursor() as cursor:  # prepared once per connection on PostgreSQL (core.db.statements)
        cursor.execute(_cart_sql(), [Int8(customer.pk), CartState.OPEN.value])
        row = cursor.fetchone()
    if row is None:
        raise CartEmpty()
    taken = rows.Rows(row)
    cart = taken.take(Cart)
    assert cart is not None
    address, zone, hold, slot = (
        taken.take(_address_model()),
        taken.take(_zone_model()),
        taken.take(rows.related(Cart, "slot_hold")),
        taken.take(_slot_model()),
    )
    for name, related in (("address", address), ("zone", zone), ("slot_hold", hold)):
        rows.field(Cart, name).set_cached_value(cart, related)
    if hold is not None:
        rows.field(type(hold), "slot").set_cached_value(hold, slot)
    if (
        cart.reservation_id is None
        or cart.slot_hold is None
        or cart.zone is None
        or cart.address is None
        or cart.checkout_version != cart.version
    ):
        raise CheckoutRequired()
    return cart


def _create_order(customer: "User", cart: Cart, priced: PricedCart, gateway: str) -> tuple[Order, list[OrderLine]]:
    assert cart.zone is not None and cart.address is not None and cart.slot_hold is not None
    slot, summary = cart.slot_hold.slot, priced.summary
    taxes = basket_vat(priced, country=cart.address.country)  # one query: the country's rates today
    order = Order(
        customer=customer,
        currency=summary.currency,
        subtotal=summary.subtotal,
        delivery_fee=summary.delivery_fee,
        discount_total=summary.discount_total,
        delivery_discount=summary.delivery_discount,
        total=summary.total,
        authorized_amount=summary.authorized_amount,
        shipping_address=address_snapshot(cart.address),
        zone=cart.zone,
        slot=slot,
        slot_starts_at=slot.starts_at,
        slot_ends_at=slot.ends_at,
        cutoff_at=slot.cutoff_at,
        warehouse_code=cart.zone.warehouse_code,
        reservation_id=cart.reservation_id,
        payment_gateway=gateway,
        tax_country=taxes.country,
        tax_date=taxes.tax_date,
        delivery_tax_rate=taxes.delivery.rate,
        delivery_vat_amount=taxes.delivery.vat,
    )
    lines = [
        OrderLine(
            order=order,
            variant=item.line.variant,
            sku=item.line.variant.sku,
            name=item.name,
            unit=item.line.variant.unit,
            unit_price=item.unit_price,
            quantity=item.line.quantity,
            line_total=item.total,
            discount_amount=item.discount_amount,
            substitution=item.line.substitution,
            substitute_variant_id=item.line.substitute_variant_id,
            tax_class=item.line.variant.tax_class,
            tax_rate=item.tax.rate if item.tax else 0,
            vat_amount=item.tax.vat if item.tax else 0,
        )
        for item in priced.lines
    ]
    _insert_order(order, lines)
    return order, lines


def _insert_order(order: Order, lines: list[OrderLine]) -> None:
    """The order and its lines in one statement, their ids set on the instances. The Order's save
    signals are sent as its create() sent them; the lines' never were (bulk_create)."""
    pre_save.send(sender=Order, instance=order, raw=False, using=connection.alias, update_fields=None)
    insert_with_children(order, lines, "order", using=connection.alias)
    post_save.send(sender=Order, instance=order, created=True, raw=False, using=connection.alias, update_fields=None)


_PLACED = """
WITH paid AS (
    UPDATE orders_order SET payment_id = %(payment)s WHERE id = %(order)s
), history AS (
    INSERT INTO orders_orderhistory (order_id, from_status, to_status, actor_kind, actor_id, note, at)
    VALUES (%(order)s, '', %(status)s, %(actor_kind)s, %(actor)s, 'placed', %(placed_at)s)
), placed AS (
    UPDATE orders_cart SET state = %(ordered)s, order_id = %(order)s, updated_at = %(now)s WHERE id = %(cart)s
), outbox AS ({outbox})
SELECT {notify}
"""


def _record_placed(order: Order, cart: Cart, customer: "User", created: orders_pb2.OrderCreated) -> None:
    """One statement for four writes that nothing reads back: the order's payment, its first
    history row (pending payment, "placed", by the customer, at the placing time), the cart turned
    into the order and the `order.created` event's outbox row (with the transaction's NOTIFY when
    it is its first event); then the event's in-process receivers. A data-modifying WITH on
    PostgreSQL; three statements and the event sent as any other on SQLite."""
    assert order.payment is not None
    if connection.vendor != "postgresql":  # the embedded SQLite has no data-modifying WITH
        order.save(update_fields=["payment"])
        OrderHistory.objects.create(
            order=order,
            to_status=OrderStatus.PENDING_PAYMENT,
            actor_kind=ActorKind.CUSTOMER,
            actor=customer,
            note="placed",
            at=order.placed_at,
        )
        Cart.objects.filter(pk=cart.pk).update(state=CartState.ORDERED, order=order, updated_at=timezone.now())
        order_created.send_event(sender=Order, aggregate_id=order.ref, payload=created)
        return
    event = prepare_event(order_created, aggregate_id=order.ref, payload=created)
    outbox, params = outbox_insert_sql([event], when="TRUE")
    notify = notify_needed()
    params |= {
        "order": Int8(order.pk),
        "payment": Int8(order.payment.pk),
        "status": OrderStatus.PENDING_PAYMENT.value,
        "actor_kind": ActorKind.CUSTOMER.value,
        "actor": Int8(customer.pk),
        "placed_at": order.placed_at,
        "ordered": CartState.ORDERED.value,
        "now": timezone.now(),
        "cart": Int8(cart.pk),
    }
    cursor = statement_cursor()  # prepared once per connection and text (with or without the NOTIFY)
    cursor.execute(_placed_sql(outbox, notify), params)
    outbox_written(notified=notify)
    order_created.send_recorded(sender=Order, event=event, payload=created)


@functools.cache
def _placed_sql(outbox: str, notify: bool) -> str:
    return _PLACED.format(outbox=outbox, notify=notify_sql("outbox") if notify else "NULL")


def _created_payload(order: Order, lines: list[OrderLine]) -> orders_pb2.OrderCreated:
    """The `order.created` event's payload."""
    address = orders_pb2.ShippingAddress(**order.shipping_address)
    payload = orders_pb2.OrderCreated(
        order_id=order.ref,
        number=order.number,
        customer_id=str(order.customer_id),
        subtotal=money(order.subtotal, order.currency),
        delivery_fee=money(order.delivery_fee, order.currency),
        total=money(order.total, order.currency),
        discount_total=money(order.discount_total, order.currency),
        delivery_discount=money(order.delivery_discount, order.currency),
        delivery_slot_id=str(order.slot_id),
        warehouse_code=order.warehouse_code,
        shipping_address=address,
        lines=[
            orders_pb2.OrderLine(
                line_id=str(line.pk),
                variant_id=str(line.variant_id),
                sku=line.sku,
                name=line.name,
                quantity=quantity(line.quantity, line.unit),
                unit_price=money(line.unit_price, order.currency),
                line_total=money(line.line_total, order.currency),
                discount_amount=money(line.discount_amount, order.currency),
            )
            for line in lines
        ],
    )
    payload.placed_at.FromDatetime(order.placed_at)
    payload.delivery_window_start.FromDatetime(order.slot_starts_at)
    payload.delivery_window_end.FromDatetime(order.slot_ends_at)
    return payload


def place_order(
    customer: "User", *, payment_gateway: str, payment_method: str, expected_total: Decimal | None = None
) -> Order:
    """Place the customer's checked-out cart. `expected_total` is the total the customer agreed to
    (the checkout's summary): a different one now is refused with the new figures."""
    get_gateway(payment_gateway).describe_payment_method(payment_method)  # refuse a bad card before any write
    with transaction.atomic():
        cart = _checked_out_cart(customer)
        assert cart.zone is not None and cart.slot_hold is not None
        slot = cart.slot_hold.slot
        priced = price_cart(cart, warehouse_code=cart.zone.warehouse_code, check_stock=False)
        priced.summary.set_delivery_fee(delivery_fee(cart.zone, slot, priced.summary.goods_total))
        validate_for_order(priced, cart.zone)
        summary = priced.summary
        voucher = summary.discounts.voucher
        if voucher is not None and not voucher.applied:
            raise VoucherNotApplicable.because(voucher.reason, voucher.code)
        if expected_total is not None and expected_total != summary.total:
            raise PriceChanged(
                f"The total is now {summary.total} {summary.currency}, not {expected_total}; "
                "review the cart and place the order again.",
                fields={"expected_total": [f"Now {summary.total}."]},
            )
        order, lines = _create_order(customer, cart, priced, payment_gateway)
        redeem(  # no statement without discounts; the voucher's use counted or refused (voucher_used_up)
            order_ref=order.ref,
            customer_id=customer.pk,
            currency=summary.currency,
            discounts=summary.discounts,
            delivery_discount=summary.delivery_discount,
        )
        assert cart.reservation_id is not None  # _checked_out_cart refuses a cart without one
        rebind_reservation(cart.reservation_id, owner_type="order", owner_id=order.ref, ttl=_reservation_ttl(slot))
        order.payment = start_payment(
            order_ref=order.ref,
            customer=customer,
            amount=summary.authorized_amount,
            currency=summary.currency,
            gateway=payment_gateway,
            payment_method=payment_method,
            idempotency_key=f"order:{order.pk}:authorize",
            actor=customer,
        )
        _record_placed(order, cart, customer, _created_payload(order, lines))
        # Last, so that the slot row stays locked only from this statement to the commit: every
        # placement in the slot queues on it.
        holds.book_hold(cart.slot_hold.pk, order.ref, customer_id=customer.pk)
    logger.info(
        "orders: order %s placed by customer %s: %s lines, %s %s (authorizing %s)",
        order.number,
        customer.pk,
        summary.lines,
        summary.total,
        summary.currency,
        summary.authorized_amount,
    )
    return order
