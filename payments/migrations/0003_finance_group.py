"""The finance role may see payments and capture, void and refund them.

Reuses the staff roles' finance group when accounts created it already (any capitalisation), so
there is one group; creates "finance" otherwise. Permissions are normally created by Django after
all migrations ran, hence create_permissions first."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def grant_finance(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    app_config = apps.get_app_config("payments")
    app_config.models_module = True  # historical app configs need it for create_permissions
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group = group_model.objects.filter(name__iexact="finance").first() or group_model.objects.create(name="finance")
    group.permissions.add(*permission_model.objects.filter(content_type__app_label="payments"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_ledger_webhooks_and_test_card_provider"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant_finance, migrations.RunPython.noop)]
