from django.db import migrations

from core.db.operations import CreateSchema


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [CreateSchema("invoicing")]
