"""How a stock import announces its changes: `inventory.adjusted_batch` events of up to
INVENTORY_IMPORT_EVENT_ITEMS changed items each, in file order, instead of one event per row
(docs/decisions/0042-set-based-stock-imports.md). A consumer reads `version` first and refuses
a layout it does not know; `adjusted_items()` is that reading for version 1.

On PostgreSQL the import writes the batches in one INSERT ... SELECT: PostgreSQL encodes each
item's protobuf bytes (`ITEM_SQL`), joins 1,000 of them after the batch's fields and wraps them
in the envelope Python framed (events.bridge.frame_event); the bytes are those the Python
`AdjustedBatches` writes for the same items (tested)."""

from collections.abc import Iterator

from django.conf import settings

from events.bridge import EnvelopeFrame, frame_event
from inventory.models import StockItem
from inventory.signals import inventory_adjusted_batch
from proto.events.v1 import inventory_pb2

BATCH_VERSION = 1

# Protobuf's wire format written by SQL expressions (functions would be called, not inlined, at
# a cost of tens of microseconds per call): a varint is little-endian groups of 7 bits, the high
# bit set on all but the last byte; a length-delimited field is its tag, the varint of its length
# and its bytes (proto3 leaves an empty one out). Tags are (field number << 3) | wire type, from
# inventory.proto and envelope.proto.


def varint_sql(value: str, *, largest_bytes: int = 5) -> str:
    """SQL for the varint bytes of the non-negative integer expression `value` (a column or a
    cheap expression: it is repeated), below 2 ** (7 * largest_bytes)."""
    branches = []
    for size in range(1, largest_bytes + 1):
        expression = f"'\\x{'00' * size}'::bytea"
        for index in range(size):
            group = f"({value}) >> {7 * index}" if index else f"({value})"
            byte = f"{group} & 127 | 128" if index < size - 1 else group
            expression = f"set_byte({expression}, {index}, ({byte})::integer)"
        branches.append(
            f"WHEN ({value}) < {1 << (7 * size)} THEN {expression}" if size < largest_bytes else f"ELSE {expression}"
        )
    return f"CASE {' '.join(branches)} END"


def field_sql(tag: int, value: str) -> str:
    """SQL for the length-delimited field `tag` of the bytea expression `value` (repeated)."""
    return (
        f"CASE WHEN length({value}) = 0 THEN ''::bytea ELSE "
        f"'\\x{tag:02x}'::bytea || {varint_sql(f'length({value})', largest_bytes=3)} || {value} END"
    )


# One AdjustedItem (fields 1 to 6) from the columns warehouse_code, variant_id, variant_sku, unit
# (text), delta, after (numeric: their text, e.g. "-12.000") and line of `source`, in three
# steps, each a subquery kept apart (OFFSET 0), so every expression is computed once per row.
def items_sql(source: str) -> str:
    """SQL of a query of (line, item bytes) over the query `source`."""
    texts = (
        "SELECT line, convert_to(warehouse_code, 'UTF8') AS warehouse, "  # noqa: S608
        "convert_to(variant_id::text, 'UTF8') AS variant,"
        " convert_to(variant_sku, 'UTF8') AS sku, convert_to(unit, 'UTF8') AS unit,"
        f" convert_to(delta::text, 'UTF8') AS delta, convert_to(after::text, 'UTF8') AS after FROM ({source}) AS rows"
    )
    fields = (
        f"SELECT line, {field_sql(0x0A, 'warehouse')} || {field_sql(0x12, 'variant')} || {field_sql(0x1A, 'sku')}"  # noqa: S608
        f" AS names, {field_sql(0x0A, 'delta')} || {field_sql(0x12, 'unit')} AS delta,"
        f" {field_sql(0x0A, 'after')} || {field_sql(0x12, 'unit')} AS after FROM ({texts} OFFSET 0) AS texts"
    )
    return (
        f"SELECT line, names || {field_sql(0x22, 'delta')} || {field_sql(0x2A, 'after')}"  # noqa: S608
        f" || '\\x30'::bytea || {varint_sql('line')} AS item FROM ({fields} OFFSET 0) AS fields"
    )


ITEMS_TAG = 0x2A  # InventoryAdjustedBatch.items, field 5
ANY_TYPE_URL_TAG, ANY_VALUE_TAG = 0x0A, 0x12  # google.protobuf.Any


def batch_fields(*, import_id: int, reason: str, actor_id: int | None) -> bytes:
    """The bytes of a batch without its items (fields 1 to 4); the items (field 5) follow."""
    return inventory_pb2.InventoryAdjustedBatch(
        version=BATCH_VERSION,
        reason=reason,
        reference=f"import:{import_id}",
        actor_id=str(actor_id) if actor_id else "",
    ).SerializeToString()


def frames(import_id: int, count: int) -> list[EnvelopeFrame]:
    """The envelopes of `count` batch events of the import."""
    return [frame_event(inventory_adjusted_batch, aggregate_id=str(import_id)) for _ in range(count)]


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
        return inventory_pb2.InventoryAdjustedBatch(
            version=BATCH_VERSION, reason=self.reason, reference=f"import:{self.import_id}", actor_id=self.actor_id
        )

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
