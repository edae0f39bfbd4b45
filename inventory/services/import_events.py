"""How a stock import announces its changes: `inventory.adjusted_batch` events of up to
INVENTORY_IMPORT_EVENT_ITEMS changed items each, in file order, instead of one event per row
(docs/decisions/0042-set-based-stock-imports.md). A consumer reads `version` first and refuses
a layout it does not know; `adjusted_items()` is that reading for version 1.

On PostgreSQL (docs/decisions/0096) the import reads its changed rows once (`changed_rows`: COPY
text, about 55 bytes a row), then Python encodes the batches (`envelopes`) while PostgreSQL writes
the ledger on the same connection from another thread (imports.py), and `write_envelopes` COPYs
the finished events into the outbox: the two CPUs work at once, where PostgreSQL composing the
bytes in SQL kept one of them idle. The embedded SQLite run sends `AdjustedBatches`.
"""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from google.protobuf.any_pb2 import Any as AnyMessage

from events.bridge import PAYLOAD_TAG, EnvelopeFrame, frame_event, notify_needed, outbox_written
from inventory.models import MovementReason, StockItem
from inventory.signals import inventory_adjusted_batch
from proto.events.v1 import inventory_pb2

BATCH_VERSION = 1

# import_final's changed rows, the fields of an item in its order.
CHANGED_ROWS = (
    "SELECT warehouse_code, variant_id, variant_sku, unit, after - before AS delta, after, line FROM import_final "
    "WHERE after <> before ORDER BY line"
)


def changed_rows(cursor: Any) -> bytearray:
    """The changed rows in file order as COPY's text (a line each, fields by tabs): one buffer,
    not a Python object a field."""
    rows = bytearray()
    with cursor.copy(f"COPY ({CHANGED_ROWS}) TO STDOUT") as copy:
        for block in copy:
            rows += block
    return rows


# COPY's text format escapes a backslash and six control characters (a SKU may hold any text);
# it never writes octal or hex escapes.
_ESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_text(field: str) -> str:
    """A field of COPY's text format as the text it stands for."""
    out, index = [], 0
    while (slash := field.find("\\", index)) >= 0:
        code = field[slash + 1 : slash + 2]
        out += [field[index:slash], _ESCAPED.get(code, code)]
        index = slash + 2
    out.append(field[index:])
    return "".join(out)


def frames(import_id: int, count: int) -> list[EnvelopeFrame]:
    """The envelopes of `count` batch events of the import."""
    return [frame_event(inventory_adjusted_batch, aggregate_id=str(import_id)) for _ in range(count)]


def envelopes(
    rows: bytearray, framed: list[EnvelopeFrame], *, import_id: int, actor_id: int | None, size: int
) -> list[bytes]:
    """Each batch of `size` changed rows (`changed_rows`) as the bytes of its event: the batch
    inside its envelope (`framed`, one a batch)."""
    events, start = [], 0
    for frame in framed:
        batch = _new_batch(import_id, MovementReason.ADJUSTMENT, str(actor_id) if actor_id else "")
        add = batch.items.add
        for _ in range(size):
            end = rows.find(b"\n", start)
            if end < 0:
                break
            text = rows[start:end].decode()
            start = end + 1
            fields = text.split("\t")
            if "\\" in text:
                fields = [_copy_text(field) for field in fields]
            warehouse_code, variant_id, sku, unit, delta, after, line = fields
            # Field by field: a third faster than keyword arguments and Quantity objects (upb).
            item = add()
            item.warehouse_code, item.variant_id, item.sku, item.line = warehouse_code, variant_id, sku, int(line)
            item.delta.value, item.delta.unit = delta, unit
            item.on_hand_after.value, item.on_hand_after.unit = after, unit
        wrapped = AnyMessage(type_url=frame.type_url, value=batch.SerializeToString()).SerializeToString()
        events.append(frame.head + _varint(PAYLOAD_TAG) + _varint(len(wrapped)) + wrapped + frame.tail)
    return events


def _varint(value: int) -> bytes:
    """Protobuf's varint: little-endian groups of 7 bits, the high bit set on all but the last."""
    out = bytearray()
    while value > 127:
        out.append(value & 127 | 128)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_envelopes(cursor: Any, import_id: int, framed: list[EnvelopeFrame], events: list[bytes]) -> None:
    """The batch events into the outbox, in order, with one COPY (and the transaction's NOTIFY)."""
    notify = notify_needed()
    with cursor.copy(
        "COPY events_outboxevent (event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at, "
        "publish_attempts, last_error) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["uuid", "text", "text", "text", "bytea", "timestamptz", "int4", "text"])
        kind, aggregate = inventory_adjusted_batch.event_type, inventory_adjusted_batch.aggregate_type
        for frame, event in zip(framed, events, strict=True):
            copy.write_row((frame.event_id, kind, aggregate, str(import_id), event, frame.occurred_at, 0, ""))
    if notify and events:
        cursor.execute("SELECT pg_notify('events_outbox', '')")
    outbox_written(notified=notify and bool(events))


def _new_batch(import_id: int, reason: str, actor_id: str) -> inventory_pb2.InventoryAdjustedBatch:
    return inventory_pb2.InventoryAdjustedBatch(
        version=BATCH_VERSION, reason=reason, reference=f"import:{import_id}", actor_id=actor_id
    )


class UnknownBatchVersion(ValueError):
    code = "unknown_batch_version"


class AdjustedBatches:
    """Collects changed items and sends a batch event each time one is full (and at `close`),
    inside the import's transaction."""

    def __init__(self, *, import_id: int, reason: str, actor_id: int | None, size: int | None = None) -> None:
        self.import_id = import_id
        self.reason = reason
        self.actor_id = str(actor_id) if actor_id else ""
        self.size = size or settings.INVENTORY_IMPORT_EVENT_ITEMS
        self.sent = 0
        self._batch = self._new()

    def _new(self) -> inventory_pb2.InventoryAdjustedBatch:
        return _new_batch(self.import_id, self.reason, self.actor_id)

    def add_rows(self, rows: list[tuple[str, str, str, str, str, str, int]]) -> None:
        """(warehouse code, variant id, sku, unit, delta, on-hand after, line) per changed item,
        the quantities as decimal text."""
        add = self._batch.items.add
        for warehouse_code, variant_id, sku, unit, delta, after, line in rows:
            # Field by field: a third faster than keyword arguments and Quantity objects (upb).
            item = add()
            item.warehouse_code, item.variant_id, item.sku, item.line = warehouse_code, variant_id, sku, line
            item.delta.value, item.delta.unit = delta, unit
            item.on_hand_after.value, item.on_hand_after.unit = after, unit
            if len(self._batch.items) >= self.size:
                self._send()
                add = self._batch.items.add

    def close(self) -> None:
        if len(self._batch.items):
            self._send()

    def _send(self) -> None:
        inventory_adjusted_batch.send_event(sender=StockItem, aggregate_id=str(self.import_id), payload=self._batch)
        self.sent += 1
        self._batch = self._new()


def adjusted_items(batch: inventory_pb2.InventoryAdjustedBatch) -> Iterator[inventory_pb2.InventoryAdjusted]:
    """The batch's items as the `inventory.adjusted` payloads they stand for (reference
    `import:<id> line <n>`); refuses a layout version it does not know."""
    if batch.version != BATCH_VERSION:
        raise UnknownBatchVersion(f"inventory.adjusted_batch version {batch.version} is not known (expected 1)")
    for item in batch.items:
        yield inventory_pb2.InventoryAdjusted(
            warehouse_code=item.warehouse_code,
            variant_id=item.variant_id,
            sku=item.sku,
            delta=item.delta,
            on_hand_after=item.on_hand_after,
            reason=batch.reason,
            reference=f"{batch.reference} line {item.line}",
            actor_id=batch.actor_id,
        )
