"""The .proto sources themselves: every message has a purpose and field numbers are never reused."""

import re
from pathlib import Path

import pytest

from events.contracts import EVENT_TYPES
from tests.proto.protofile import ProtoMessage, read_file, read_messages
from tests.support import REPO

PROTO_FILES = sorted((REPO / "proto").rglob("*.proto"))
EVENT_PROTO_DIR = REPO / "proto" / "events" / "v1"


def event_messages() -> dict[str, tuple[Path, ProtoMessage]]:
    return {m.name: (path, m) for path in sorted(EVENT_PROTO_DIR.glob("*.proto")) for m in read_file(path)}


def test_the_proto_files_are_found() -> None:
    names = {p.name for p in EVENT_PROTO_DIR.glob("*.proto")}
    assert {
        "common.proto",
        "envelope.proto",
        "orders.proto",
        "payments.proto",
        "inventory.proto",
        "users.proto",
    } <= names


def test_every_event_type_has_its_message_in_the_proto_files() -> None:
    messages = event_messages()
    for event_type, cls in EVENT_TYPES.items():
        # "inventory.low_stock" carries InventoryLowStock, declared in inventory.proto
        family, name = event_type.split(".")
        expected = family.capitalize() + "".join(word.capitalize() for word in name.split("_"))
        assert cls.DESCRIPTOR.full_name == f"commerce.events.v1.{expected}", event_type
        assert expected in messages, f"{expected} is not declared in {EVENT_PROTO_DIR}"
        assert cls.DESCRIPTOR.file.name == messages[expected][0].relative_to(REPO).as_posix()


def test_no_message_is_orphaned() -> None:
    """Each message is an event payload, the envelope, or a part used by another message."""
    messages = event_messages()
    payloads = {cls.DESCRIPTOR.name for cls in EVENT_TYPES.values()}
    used = {
        word.rsplit(".", 1)[-1]
        for _, message in messages.values()
        for f in message.fields
        for word in re.findall(r"[A-Za-z_][\w.]*", f.type)
    }
    orphans = set(messages) - payloads - used - {"EventEnvelope"}
    assert not orphans, f"messages neither registered in events.contracts.EVENT_TYPES nor used: {orphans}"
    assert len(payloads) == len(EVENT_TYPES), "two event types share one message"


def field_number_problems(message: ProtoMessage) -> list[str]:
    problems = []
    seen: dict[int, str] = {}
    for f in message.fields:
        if f.number in seen:
            problems.append(f"{message.name}: {f.name} reuses number {f.number} of {seen[f.number]}")
        seen[f.number] = f.name
        if message.is_reserved(f.number):
            problems.append(f"{message.name}: {f.name} uses reserved number {f.number}")
        if f.name in message.reserved_names:
            problems.append(f"{message.name}: {f.name} uses a reserved name")
    return problems


@pytest.mark.parametrize("path", PROTO_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_field_numbers_are_unique_and_reserved_ones_stay_unused(path: Path) -> None:
    messages = read_file(path)
    assert messages or "service" in path.read_text()
    problems = [problem for message in messages for problem in field_number_problems(message)]
    assert not problems, "\n".join(problems)


def test_the_field_number_check_catches_reuse() -> None:
    source = """
    message Order {
      reserved 3, 7 to 9;
      reserved "legacy_total";
      string id = 1;
      string legacy_total = 2;   // name reserved
      oneof contact { string email = 4; string phone = 4; }  // duplicate inside a oneof
      int32 attempts = 8;        // inside the reserved range
      message Line { string sku = 1; string name = 1; }
    }
    """
    problems = [p for m in read_messages(source) for p in field_number_problems(m)]
    assert problems == [
        "Order: legacy_total uses a reserved name",
        "Order: phone reuses number 4 of email",
        "Order: attempts uses reserved number 8",
        "Order.Line: name reuses number 1 of sku",
    ]
