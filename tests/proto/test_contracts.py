"""The event registry: envelopes round-trip, and bad input fails with the documented errors."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from google.protobuf.any_pb2 import Any
from google.protobuf.message import Message

from events.contracts import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    InvalidEventPayload,
    UnknownEventType,
    decimal_from_money,
    decimal_from_quantity,
    family_of,
    money,
    pack_envelope,
    payload_class,
    quantity,
    unpack_envelope,
)
from events.kafka import TOPIC_BY_FAMILY
from proto.events.v1 import inventory_pb2, orders_pb2, payments_pb2, users_pb2
from proto.events.v1.envelope_pb2 import EventEnvelope

AT = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)


def envelope_for(event_type: str, payload: Message, aggregate_type: str, aggregate_id: str) -> EventEnvelope:
    return pack_envelope(
        event_id="0b7e6a52-3f52-4f43-9a51-7d3c1c0f6f11",
        event_type=event_type,
        occurred_at=AT,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        correlation_id="req-42",
    )


def round_trip(envelope: EventEnvelope) -> tuple[EventEnvelope, Message]:
    return unpack_envelope(envelope.SerializeToString())


def test_order_created_round_trips_with_lines_money_and_quantities() -> None:
    created = orders_pb2.OrderCreated(
        order_id="1042",
        number="A-1042",
        customer_id="7",
        subtotal=money(Decimal("14.48"), "EUR"),
        delivery_fee=money(Decimal("2.5"), "EUR"),
        total=money(Decimal("16.98"), "EUR"),
        delivery_slot_id="3f1c",
        warehouse_code="BER-1",
        lines=[
            orders_pb2.OrderLine(
                line_id="1",
                variant_id="55",
                sku="BAN-1KG",
                name="Bananas",
                quantity=quantity(Decimal("0.750"), "kg"),
                unit_price=money(Decimal("2.99"), "EUR"),
                line_total=money(Decimal("2.24"), "EUR"),
            ),
            orders_pb2.OrderLine(
                line_id="2",
                variant_id="9",
                sku="MILK-1L",
                name="Milk 1 l",
                quantity=quantity(Decimal("4"), "piece"),
                unit_price=money(Decimal("3.06"), "EUR"),
                line_total=money(Decimal("12.24"), "EUR"),
            ),
        ],
    )
    created.placed_at.FromDatetime(AT)

    envelope, payload = round_trip(envelope_for("order.created", created, "order", "1042"))

    assert payload == created
    assert isinstance(payload, orders_pb2.OrderCreated)
    assert envelope.event_type == "order.created"
    assert envelope.event_id == "0b7e6a52-3f52-4f43-9a51-7d3c1c0f6f11"
    assert envelope.aggregate_type == "order" and envelope.aggregate_id == "1042"
    assert envelope.schema_version == SCHEMA_VERSION == 1
    assert envelope.producer == "commerce" and envelope.correlation_id == "req-42"
    assert envelope.occurred_at.ToDatetime(tzinfo=UTC) == AT
    assert envelope.payload.type_url == "type.googleapis.com/commerce.events.v1.OrderCreated"
    assert payload.delivery_fee.amount == "2.50"
    assert decimal_from_money(payload.total) == Decimal("16.98")
    assert decimal_from_quantity(payload.lines[0].quantity) == Decimal("0.750")
    assert payload.lines[0].quantity.unit == "kg"


def test_a_substitution_on_a_picked_line_survives_and_its_absence_is_visible() -> None:
    picked = orders_pb2.OrderPicked(
        order_id="1042",
        final_total=money(Decimal("15.10"), "EUR"),
        lines=[
            orders_pb2.PickedLine(line_id="1", picked_quantity=quantity(Decimal("0.812"), "kg")),
            orders_pb2.PickedLine(
                line_id="2", picked_quantity=quantity(Decimal("4"), "piece"), substitute_sku="OATMILK-1L"
            ),
        ],
    )
    _, payload = round_trip(envelope_for("order.picked", picked, "order", "1042"))
    assert isinstance(payload, orders_pb2.OrderPicked)
    assert not payload.lines[0].HasField("substitute_sku")
    assert payload.lines[1].substitute_sku == "OATMILK-1L"


@pytest.mark.parametrize(
    ("event_type", "payload", "aggregate_type"),
    [
        (
            "payment.refunded",
            payments_pb2.PaymentRefunded(
                payment_id="p-1",
                order_id="1042",
                refund_id="r-1",
                amount=money(Decimal("3.00"), "EUR"),
                total_refunded=money(Decimal("5.00"), "EUR"),
                reason="damaged item",
            ),
            "payment",
        ),
        (
            "inventory.reserved",
            inventory_pb2.InventoryReserved(
                reservation_id="res-1",
                owner_type="cart",
                owner_id="c-9",
                warehouse_code="BER-1",
                lines=[
                    inventory_pb2.ReservedLine(variant_id="55", sku="BAN-1KG", quantity=quantity(Decimal("1.5"), "kg"))
                ],
            ),
            "reservation",
        ),
        (
            "inventory.low_stock",
            inventory_pb2.InventoryLowStock(
                warehouse_code="BER-1",
                variant_id="55",
                sku="BAN-1KG",
                available=quantity(Decimal("3"), "kg"),
                threshold=quantity(Decimal("5"), "kg"),
            ),
            "stock_item",
        ),
        (
            "user.updated",
            users_pb2.UserUpdated(
                user_id="7",
                changed_fields=["email", "last_name"],
                email="ada@example.com",
                first_name="Ada",
                last_name="King",
            ),
            "user",
        ),
        ("user.deleted", users_pb2.UserDeleted(user_id="7", reason="customer_request"), "user"),
    ],
)
def test_payloads_of_other_families_round_trip(event_type: str, payload: Message, aggregate_type: str) -> None:
    envelope, unpacked = round_trip(envelope_for(event_type, payload, aggregate_type, "x-1"))
    assert unpacked == payload
    assert type(unpacked) is payload_class(event_type)
    assert envelope.event_type == event_type and envelope.aggregate_type == aggregate_type


def test_families_are_the_kafka_topic_families() -> None:
    assert family_of("order.created") == "order"
    assert family_of("inventory.low_stock") == "inventory"
    assert {family_of(event_type) for event_type in EVENT_TYPES} == set(TOPIC_BY_FAMILY)
    assert len(EVENT_TYPES) == 19


@pytest.mark.parametrize("event_type", ["order.teleported", "", "order", "orders.created", "ORDER.CREATED"])
def test_unknown_event_types_are_refused(event_type: str) -> None:
    with pytest.raises(UnknownEventType) as error:
        payload_class(event_type)
    assert error.value.code == "unknown_event_type"
    with pytest.raises(UnknownEventType):
        family_of(event_type)


def test_packing_checks_the_payload_against_the_event_type() -> None:
    cancelled = orders_pb2.OrderCancelled(order_id="1")
    with pytest.raises(ValueError, match=r"commerce\.events\.v1\.OrderCreated"):
        envelope_for("order.created", cancelled, "order", "1")
    with pytest.raises(UnknownEventType):
        envelope_for("order.teleported", cancelled, "order", "1")
    with pytest.raises(ValueError, match="timezone-aware"):
        pack_envelope(
            event_id="e",
            event_type="order.cancelled",
            occurred_at=datetime(2025, 1, 1),
            aggregate_type="order",
            aggregate_id="1",
            payload=cancelled,
        )


def test_an_envelope_of_an_unknown_type_is_refused_on_unpack() -> None:
    envelope = EventEnvelope(event_id="e", event_type="order.teleported")
    envelope.payload.Pack(orders_pb2.OrderCancelled(order_id="1"))
    with pytest.raises(UnknownEventType) as error:
        unpack_envelope(envelope.SerializeToString())
    assert error.value.code == "unknown_event_type"
    assert error.value.event_type == "order.teleported"


@pytest.mark.parametrize("data", [b"garbage", b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x00"])
def test_bytes_that_are_not_an_envelope_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidEventPayload) as error:
        unpack_envelope(data)
    assert error.value.code == "invalid_event_payload"


def test_an_envelope_without_type_or_payload_is_refused() -> None:
    with pytest.raises(InvalidEventPayload, match="no event_type"):
        unpack_envelope(b"")
    with pytest.raises(InvalidEventPayload, match="no payload"):
        unpack_envelope(EventEnvelope(event_id="e", event_type="order.created").SerializeToString())


def test_a_payload_of_the_wrong_type_is_refused() -> None:
    envelope = EventEnvelope(event_id="e", event_type="order.created")
    envelope.payload.Pack(orders_pb2.OrderCancelled(order_id="1"))
    with pytest.raises(InvalidEventPayload, match="OrderCancelled"):
        unpack_envelope(envelope.SerializeToString())


def test_a_payload_that_does_not_parse_is_refused() -> None:
    envelope = EventEnvelope(
        event_id="e",
        event_type="order.created",
        payload=Any(type_url="type.googleapis.com/commerce.events.v1.OrderCreated", value=b"\xff\xff\xff"),
    )
    with pytest.raises(InvalidEventPayload, match="does not parse"):
        unpack_envelope(envelope.SerializeToString())


def test_money_is_two_decimals_and_never_a_float() -> None:
    assert money(Decimal("12.5"), "EUR").amount == "12.50"
    assert money(Decimal("-3"), "EUR").amount == "-3.00"
    assert money(Decimal("-0"), "EUR").amount == "0.00"
    assert money(Decimal("1E+3"), "USD").amount == "1000.00"
    assert decimal_from_money(money(Decimal("0.10"), "EUR")) == Decimal("0.10")
    for bad in (12.5, Decimal("1.005"), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            money(bad, "EUR")  # type: ignore[arg-type]
    for currency in ("eur", "EURO", "", "E1R"):
        with pytest.raises(ValueError, match="ISO 4217"):
            money(Decimal("1.00"), currency)


def test_quantities_keep_their_precision_and_unit() -> None:
    assert quantity(Decimal("0.750"), "kg").value == "0.750"
    assert quantity(Decimal("2"), "piece").value == "2"
    with pytest.raises(ValueError):
        quantity(Decimal("1"), "")
    with pytest.raises(ValueError):
        quantity(1.5, "kg")  # type: ignore[arg-type]


def test_amounts_from_the_wire_that_are_not_decimals_are_invalid_payloads() -> None:
    from proto.events.v1.common_pb2 import Money, Quantity

    for amount in ("", "12,50", "NaN", "1e"):
        with pytest.raises(InvalidEventPayload):
            decimal_from_money(Money(currency="EUR", amount=amount))
    with pytest.raises(InvalidEventPayload):
        decimal_from_quantity(Quantity(value="lots", unit="kg"))
