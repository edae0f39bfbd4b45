"""The outbox's `publish_attempts >= 0` as a domain constraint (decision 0092): a table CHECK is
parsed and compiled again by every statement that writes the table (each reservation's one-row
INSERT paid it); a domain's once per connection. The same rule under the same name, whoever writes;
the column changes type without a rewrite and the constraint is added NOT VALID (the dropped table
constraint held every existing row to it)."""

from typing import Any

from django.db import migrations

TABLE, COLUMN, DOMAIN = "events.events_outboxevent", "publish_attempts", "events.events_publish_attempts"
NAME = "events_outboxevent_publish_attempts_check"


def to_domain(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE DOMAIN {DOMAIN} AS integer")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {NAME}, ALTER COLUMN {COLUMN} TYPE {DOMAIN}")
    schema_editor.execute(f"ALTER DOMAIN {DOMAIN} ADD CONSTRAINT {NAME} CHECK (VALUE >= 0) NOT VALID")


def to_table_check(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} TYPE integer, ADD CONSTRAINT {NAME} CHECK ({COLUMN} >= 0) NOT VALID"
    )
    schema_editor.execute(f"DROP DOMAIN {DOMAIN}")


class Migration(migrations.Migration):
    dependencies = [("events", "0005_outbox_payload_lz4")]

    operations = [migrations.RunPython(to_domain, to_table_check)]
