"""The dispatcher role: a group with every permission on the delivery models.

The staff roles of accounts name the same group ("Dispatcher", delivery.*); get_or_create and
adding permissions only make either migration safe to run first, and both together harmless.
Permissions are normally created after all migrations ran, so the delivery ones are created here.
"""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

DISPATCHER = "Dispatcher"


def create_dispatcher_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    app_config = apps.get_app_config("delivery")
    app_config.models_module = True  # historical app configs need it for create_permissions
    create_permissions(app_config, apps=apps, verbosity=0)
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=DISPATCHER)
    group.permissions.add(*apps.get_model("auth", "Permission").objects.filter(content_type__app_label="delivery"))


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0002_zones_slots_holds_shipments"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    # Reversing leaves the group: it may be the accounts role's as well.
    operations = [migrations.RunPython(create_dispatcher_group, migrations.RunPython.noop)]
