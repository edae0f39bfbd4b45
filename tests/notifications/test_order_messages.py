"""Each order event becomes exactly one e-mail to the customer, with what the event is about, in
their language, however often the event arrives."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail

from delivery.signals import order_delivered, order_shipped
from events.consumer import ConsumedEvent
from events.contracts import money
from notifications import services
from notifications.consumers import CustomerMessages
from notifications.models import Message, MessageStatus
from orders.models import Order, Substitution
from orders.services import cart as carts
from orders.services import checkout, lifecycle, picking
from payments.signals import payment_refunded
from proto.events.v1 import orders_pb2, payments_pb2
from tests.notifications.helpers import deliver, events_since, last_event_id, run_send, send_pending
from tests.orders.helpers import make_customer, make_shop, make_variant, pay, place

pytestmark = pytest.mark.django_db


def placed_and_picked() -> Order:
    """An order placed, paid, confirmed and packed with a short, a lighter and a substituted line."""
    shop = make_shop()
    oat_milk = make_variant("Oat milk", "1.90")
    customer, address = make_customer()
    customer.first_name = "Ann"
    customer.save()
    cart = carts.open_cart_of(customer)
    assert cart is not None
    carts.add_to_cart(cart, variant_id=shop.bread.pk, quantity="3")
    carts.add_to_cart(cart, variant_id=shop.apples.pk, quantity="2.0")
    carts.add_to_cart(cart, variant_id=shop.milk.pk, quantity="2", substitution=Substitution.SIMILAR)
    checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
    order = pay(place(customer))
    lifecycle.confirm_order(order.ref, payment_id=order.payment_id)  # type: ignore[arg-type]
    lines = {line.variant_id: line.pk for line in order.lines.all()}
    picking.record_picks(
        order.pk,
        [
            picking.Pick(lines[shop.bread.pk], "2"),
            picking.Pick(lines[shop.apples.pk], "1.874"),
            picking.Pick(lines[shop.milk.pk], "2", substitute_variant_id=oat_milk.pk),
        ],
    )
    return picking.pack_order(order.pk)


def delivery_and_refund_events(order: Order) -> None:
    """What delivery and payments announce later: shipped, delivered, then a partial refund."""
    now = datetime.now(UTC)
    shipped = orders_pb2.OrderShipped(order_id=order.ref, shipment_id="s-1", courier_id="c-1")
    shipped.shipped_at.FromDatetime(now)
    order_shipped.send_event(sender=None, aggregate_id=order.ref, payload=shipped)
    delivered = orders_pb2.OrderDelivered(order_id=order.ref, shipment_id="s-1")
    delivered.delivered_at.FromDatetime(now)
    order_delivered.send_event(sender=None, aggregate_id=order.ref, payload=delivered)
    refunded = payments_pb2.PaymentRefunded(
        payment_id=str(order.payment_id),
        order_id=order.ref,
        refund_id="r-1",
        amount=money(Decimal("2.50"), "EUR"),
        total_refunded=money(Decimal("2.50"), "EUR"),
        reason="squashed bread",
    )
    payment_refunded.send_event(sender=None, aggregate_id=str(order.payment_id), payload=refunded)


def test_every_order_event_sends_one_email_with_its_content_even_when_delivered_twice() -> None:
    start = last_event_id()
    order = placed_and_picked()
    delivery_and_refund_events(order)
    events = [event for event in events_since(start) if event.event_type in CONSUMED]
    assert [event.event_type for event in events] == list(CONSUMED)

    for event in events:
        assert deliver(event) is True
        assert deliver(event) is False  # the redelivery is dropped by the group's inbox
    # Even past the inbox (a dead letter retried, a replayed topic) the unique record holds.
    assert handle_again(events) == 0
    send_pending()
    send_pending()  # nothing is left to send, nothing is sent twice

    messages = {m.kind: m for m in Message.objects.filter(order_ref=order.ref)}
    assert sorted(messages) == sorted(CONSUMED.values())
    assert {m.status for m in messages.values()} == {MessageStatus.SENT}
    sent = {email.subject: email for email in mail.outbox}
    assert len(mail.outbox) == len(CONSUMED)
    customer = order.customer
    for email in mail.outbox:
        assert email.to == [customer.email]
        assert [mimetype for _, mimetype in email.alternatives] == ["text/html"]  # type: ignore[attr-defined]
        assert "Hello Ann," in email.body

    number = order.number
    placed = sent[f"Your order {number} is placed"]
    assert "3 \u00d7 Bread: 7.50 EUR" in placed.body and "2 kg \u00d7 Apples, loose: 6.00 EUR" in placed.body
    assert "Total: 19.80 EUR" in placed.body
    assert f"your order {number} (19.80 EUR) is confirmed" in sent[f"Your order {number} is confirmed"].body

    picked = sent[f"Changes to your order {number}"]
    assert "- Bread: 2 of 3 available, now 5.00 EUR" in picked.body
    assert "- Apples, loose: weighed 1.874 kg instead of 2 kg, now 5.62 EUR" in picked.body
    assert "- Milk 1 l: replaced by Oat milk (2), now 2.40 EUR" in picked.body
    assert "New total: 16.92 EUR (was 19.80 EUR)" in picked.body
    html = picked.alternatives[0][0]  # type: ignore[attr-defined]
    assert "replaced by Oat milk" in html and "<strong>New total: 16.92 EUR</strong>" in html

    window = f"{order.slot_starts_at:%H:%M}\u2013{order.slot_ends_at:%H:%M}"
    assert window in sent[f"Your order {number} is on its way"].body
    assert f"Your order {number} is delivered" in sent
    refund = sent[f"A refund for your order {number}"].body
    assert "we have refunded 2.50 EUR for your order" in refund and "(squashed bread)" in refund


CONSUMED = {
    "order.created": "order_placed",
    "order.confirmed": "order_confirmed",
    "order.picked": "order_picked",
    "order.shipped": "order_out_for_delivery",
    "order.delivered": "order_delivered",
    "payment.refunded": "order_refunded",
}


def handle_again(events: list[ConsumedEvent]) -> int:
    """The handlers run once more, past the inbox: how many more messages that records."""
    before = Message.objects.count()
    consumer = CustomerMessages()
    for event in events:
        handler = consumer.handler_for(event.event_type)
        assert handler is not None
        handler(event)
    return Message.objects.count() - before


def test_a_cancelled_order_tells_a_german_customer_why_in_german() -> None:
    shop = make_shop()
    customer, address = make_customer()
    services.set_preference(customer.pk, language="de")
    carts.add_to_cart(carts.open_cart_of(customer), variant_id=shop.bread.pk, quantity="2")  # type: ignore[arg-type]
    checkout.start_checkout(customer, address_id=address.pk, slot_id=shop.slot.pk)
    order = place(customer)
    start = last_event_id()
    lifecycle.cancel_order(order.pk, by="staff", reason="Lieferwagen ausgefallen")
    [event] = [event for event in events_since(start) if event.event_type == "order.cancelled"]
    deliver(event)
    [message] = Message.objects.filter(order_ref=order.ref)
    run_send(message.pk)

    [email] = mail.outbox
    assert email.subject == f"Ihre Bestellung {order.number} ist storniert"
    assert f"Wir mussten Ihre Bestellung {order.number} stornieren." in email.body
    assert "Grund: Lieferwagen ausgefallen" in email.body
    assert "(8,90 EUR)" in email.body  # 2 x 2.50 + 3.90 delivery, in German notation
