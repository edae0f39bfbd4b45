"""The outbox wakes the relay with one NOTIFY per transaction that wrote events (the first event
carries it), also when the first event of the transaction was in a savepoint that rolled back."""

from decimal import Decimal

import psycopg
import pytest
from django.db import connection, transaction

from events.bridge import OUTBOX_CHANNEL
from events.contracts import money
from proto.events.v1 import orders_pb2
from tests.events.helpers import order_created

pytestmark = pytest.mark.django_db(transaction=True)


def _send(order_id: str) -> None:
    payload = orders_pb2.OrderCreated(order_id=order_id, total=money(Decimal("1.00"), "EUR"))
    order_created.send_event(sender=None, aggregate_id=order_id, payload=payload)


def test_a_transaction_wakes_the_relay_even_when_its_first_event_was_rolled_back() -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        with transaction.atomic():
            try:
                with transaction.atomic():
                    _send("n-1")  # its NOTIFY goes with the savepoint
                    raise RuntimeError("this part failed")
            except RuntimeError:
                pass
            _send("n-2")
            _send("n-3")
        woken = list(listener.notifies(timeout=10, stop_after=1))
    assert [notify.channel for notify in woken] == [OUTBOX_CHANNEL]
