"""The staff roles as groups: catalog manager, warehouse, support, finance, dispatcher.

Permissions are created by Django after all migrations ran, so this migration creates the ones of
the apps already migrated first; the groups gain the permissions of apps that land later through
accounts.apps' post_migrate hook (same sync_roles, which only adds)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from accounts.roles import ROLES, sync_roles


def create_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need it for create_permissions
        create_permissions(app_config, apps=apps, verbosity=0)
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_profile_addresses_tokens_staff_split"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
