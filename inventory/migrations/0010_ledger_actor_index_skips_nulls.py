"""The ledger's actor index holds only movements made by a person: reservations, releases and system
imports write a NULL actor, and each paid an index entry nobody reads. A lookup by actor (the
PROTECT check when a user is deleted) names a value, so the partial index still serves it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0009_stock_item_room_for_hot_updates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="stockmovement",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="inventory_movement_actor_idx"
            ),
        ),
    ]
