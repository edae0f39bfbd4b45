"""A small reader of .proto source: the messages, their fields and reserved numbers and names.

Enough for checks protoc cannot do for us across versions of a file; not a full parser.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

_TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|[A-Za-z_][\w.]*|\d+|\S')
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_BLOCKS = {"message", "enum", "oneof", "service", "extend", "rpc", "option"}
_FIELD_MAX = 536_870_911


@dataclass
class ProtoField:
    name: str
    type: str
    number: int


@dataclass
class ProtoMessage:
    name: str  # dotted for nested messages, e.g. "Outer.Inner"
    fields: list[ProtoField] = field(default_factory=list)
    reserved_ranges: list[range] = field(default_factory=list)
    reserved_names: set[str] = field(default_factory=set)
    top_level: bool = True

    def is_reserved(self, number: int) -> bool:
        return any(number in r for r in self.reserved_ranges)


def read_messages(source: str) -> list[ProtoMessage]:
    tokens = _TOKEN.findall(_COMMENT.sub(" ", source))
    messages: list[ProtoMessage] = []
    # Each open block: its kind and the message its fields belong to (None outside messages).
    stack: list[tuple[str, ProtoMessage | None]] = []
    statement: list[str] = []
    for token in tokens:
        if token not in ("{", "}", ";"):
            statement.append(token)
            continue
        owner = stack[-1][1] if stack else None
        if token == "{":
            kind = statement[0] if statement and statement[0] in _BLOCKS else "other"
            if kind == "message":
                parent = [m for k, m in stack if k == "message" and m is not None]
                name = f"{parent[-1].name}.{statement[1]}" if parent else statement[1]
                message = ProtoMessage(name=name, top_level=not parent)
                messages.append(message)
                stack.append((kind, message))
            elif kind == "oneof":
                stack.append((kind, owner))  # oneof members are fields of the enclosing message
            else:
                stack.append((kind, None))
        elif token == "}":
            stack.pop()
        elif owner is not None and statement and statement[0] not in ("option", "extensions"):
            if statement[0] == "reserved":
                _read_reserved(statement[1:], owner)
            else:
                _read_field(statement, owner)
        statement = []
    return messages


def read_file(path: Path) -> list[ProtoMessage]:
    return read_messages(path.read_text())


def _read_field(statement: list[str], message: ProtoMessage) -> None:
    equals = statement.index("=")
    words = [w for w in statement[: equals - 1] if w not in ("optional", "repeated", "required")]
    message.fields.append(
        ProtoField(name=statement[equals - 1], type="".join(words), number=int(statement[equals + 1]))
    )


def _read_reserved(items: list[str], message: ProtoMessage) -> None:
    parts = [item for item in items if item != ","]
    i = 0
    while i < len(parts):
        item = parts[i]
        if item[0] in "\"'":
            message.reserved_names.add(item[1:-1])
            i += 1
        elif i + 2 < len(parts) and parts[i + 1] == "to":
            end = _FIELD_MAX if parts[i + 2] == "max" else int(parts[i + 2])
            message.reserved_ranges.append(range(int(item), end + 1))
            i += 3
        else:
            message.reserved_ranges.append(range(int(item), int(item) + 1))
            i += 1
