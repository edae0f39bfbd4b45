"""The Analyst staff group, and the report families of the Finance, Warehouse and Dispatcher roles.

Like accounts' role migration: permissions are normally created after all migrations ran, so the
ones of the apps migrated so far are created first; sync_roles (accounts.roles) only adds."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from accounts.roles import ANALYST, sync_roles


def create_analyst(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need it for create_permissions
        create_permissions(app_config, apps=apps, verbosity=0)
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_analyst(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name=ANALYST).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_runs_and_replenishment_policies"),
        ("accounts", "0003_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_analyst, remove_analyst)]
