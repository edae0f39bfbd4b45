"""The outbox's published_at index holds only published rows: every event is written unpublished,
so each insert paid an entry that only the purge (published_at < cutoff) reads; the relay's stamp
adds it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_outbox_inbox_dead_letters"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="outboxevent",
            name="outbox_published_idx",
        ),
        migrations.AddIndex(
            model_name="outboxevent",
            index=models.Index(
                condition=models.Q(("published_at__isnull", False)),
                fields=["published_at"],
                name="outbox_published_idx",
            ),
        ),
    ]
