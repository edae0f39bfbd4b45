"""The outbox loses its (aggregate_type, aggregate_id) index: no query reads it (the admin's search
by aggregate id is case-insensitive, which a plain index cannot serve), and every event written,
a reservation's among them, paid an entry in it (decision 0088)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_outbox_published_index_skips_unpublished"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="outboxevent", name="outbox_aggregate_idx"),
    ]
