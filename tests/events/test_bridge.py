"""Domain signals become outbox rows in the transaction of the change, and only then."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from accounts.models import User
from events.bridge import EventOutsideTransaction
from events.contracts import decimal_from_money, money, unpack_envelope
from events.models import OutboxEvent
from proto.events.v1 import orders_pb2
from tests.events.helpers import emit_order_created, order_created

pytestmark = pytest.mark.django_db


def test_a_committed_change_has_its_event_in_the_outbox() -> None:
    event = emit_order_created("o-1", total="23.40")
    stored = OutboxEvent.objects.get(pk=event.pk)
    assert stored.published_at is None
    envelope, payload = unpack_envelope(bytes(stored.payload))
    assert envelope.event_id == str(stored.event_id)
    assert (envelope.event_type, envelope.aggregate_type, envelope.aggregate_id) == ("order.created", "order", "o-1")
    assert isinstance(payload, orders_pb2.OrderCreated)
    assert decimal_from_money(payload.total) == Decimal("23.40")


def test_a_rolled_back_change_leaves_no_event() -> None:
    payload = orders_pb2.OrderCreated(order_id="o-2", total=money(Decimal("5.00"), "EUR"))
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create_user("buyer@example.com", "pw-long-enough-123")
        order_created.send_event(sender=None, aggregate_id="o-2", payload=payload)
        raise RuntimeError("the change fails after the event was sent")
    assert not OutboxEvent.objects.filter(aggregate_id="o-2").exists()
    assert not User.objects.filter(email="buyer@example.com").exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_sent_outside_a_transaction_is_refused_and_not_recorded() -> None:
    payload = orders_pb2.OrderCreated(order_id="o-3")
    with pytest.raises(EventOutsideTransaction) as refused:
        order_created.send_event(sender=None, aggregate_id="o-3", payload=payload)
    assert refused.value.code == "event_outside_transaction"
    assert not OutboxEvent.objects.exists()


def test_a_payload_of_the_wrong_type_is_refused() -> None:
    wrong = orders_pb2.OrderCancelled(order_id="o-4")
    with pytest.raises(ValueError), transaction.atomic():
        order_created.send_event(sender=None, aggregate_id="o-4", payload=wrong)
    assert not OutboxEvent.objects.exists()


def test_events_keep_write_order_and_time() -> None:
    before = datetime.now(UTC)
    first = emit_order_created("o-5")
    second = emit_order_created("o-5")
    assert first.pk < second.pk
    assert before <= first.occurred_at <= second.occurred_at


def test_array_literals_reach_postgresql_as_the_exact_strings_and_bytes() -> None:
    from django.db import connection

    from events.bridge import array_literal

    texts = ["plain", 'a "quoted", {braced} one', "back\\slash\\", "", "NULL", " spaced ", "ünïcode ✓"]
    payloads = [b'\x00\x01\xff\\"', b""]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bytea[]",
            [array_literal(texts), array_literal("\\x" + payload.hex() for payload in payloads)],
        )
        got_texts, got_payloads = cursor.fetchone()
    assert got_texts == texts
    assert [bytes(payload) for payload in got_payloads] == payloads
