"""Outbox payloads are compressed with lz4 instead of pglz (PostgreSQL only; SQLite has no
TOAST). A payload above about 2 kB is compressed when written: an import's
`inventory.adjusted_batch` events carry 1,000 items each (about 70 kB), and pglz took 0.8 s of
CPU for the 1,000 events of a 1,000,000-row import, lz4 about 0.2 s, for the same stored size
(decision 0089). Rows written before keep pglz: PostgreSQL reads both. Reading (the relay)
decompresses lz4 faster too."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events.events_outboxevent ALTER COLUMN payload SET COMPRESSION lz4")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events.events_outboxevent ALTER COLUMN payload SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("events", "0004_outbox_without_aggregate_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
