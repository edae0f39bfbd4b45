"""The notifications group on Kafka: an order's event published twice (a relay that crashed before
marking it) still makes one message."""

import threading

import pytest
from django.core import mail

from events.consuming import ConsumerRunner
from events.models import OutboxEvent
from events.relay import OutboxRelay
from notifications.consumers import CustomerMessages
from notifications.models import Message
from tests.notifications.helpers import send_pending
from tests.orders.helpers import checked_out, make_shop, place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kafka_topics")]


def relay_and_consume() -> object:
    OutboxRelay(idle_wait=0.1).run(threading.Event(), until_idle=True)
    runner = ConsumerRunner(CustomerMessages(), retry_backoff=0.01)  # type: ignore[arg-type]
    return runner.run(threading.Event(), until_idle=True)


def test_the_group_consumes_from_kafka_and_a_republished_event_sends_nothing_more() -> None:
    shop = make_shop()
    customer, _ = checked_out(shop, (shop.bread, "3"))
    order = place(customer)
    assert relay_and_consume().applied == 1  # type: ignore[attr-defined]

    OutboxEvent.objects.filter(event_type="order.created").update(published_at=None)  # published again
    assert relay_and_consume().duplicates == 1  # type: ignore[attr-defined]
    send_pending()

    [message] = Message.objects.all()
    assert (message.kind, message.order_ref) == ("order_placed", order.ref)
    [email] = mail.outbox
    assert email.subject == f"Your order {order.number} is placed" and email.to == [customer.email]
