"""Every app's tables live in the app's own PostgreSQL schema, and Django still sees them all."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, migrations, models, transaction
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from accounts.models import User

pytestmark = pytest.mark.django_db


def schemas_of_table(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = %s", [table])
        return [row[0] for row in cursor.fetchall()]


def index_schemas(index: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname FROM pg_indexes WHERE indexname = %s", [index])
        return [row[0] for row in cursor.fetchall()]


def constraint_exists(table: str, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.table_constraints WHERE table_name = %s AND constraint_name = %s",
            [table, name],
        )
        return cursor.fetchone() is not None


def migrate(app_label: str, state: ProjectState, *operations: Operation) -> ProjectState:
    migration = migrations.Migration("probe", app_label)
    migration.operations = list(operations)
    with connection.schema_editor(atomic=True) as editor:
        return migration.apply(state, editor)


def test_every_model_table_is_in_its_app_schema() -> None:
    checked = 0
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        expected = settings.APP_SCHEMAS.get(model._meta.app_label, "public")
        assert schemas_of_table(model._meta.db_table) == [expected], model
        checked += 1
    assert schemas_of_table("users_user") == []  # names stay app_model; no quoting trick
    assert schemas_of_table("accounts_user") == ["users"]
    assert schemas_of_table("django_migrations") == ["public"]
    assert checked > 10


def test_every_app_schema_exists_and_is_on_the_search_path() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        existing = {row[0] for row in cursor.fetchall()}
        cursor.execute("SHOW search_path")
        path = [part.strip() for part in cursor.fetchone()[0].split(",")]
    expected = {
        "catalog",
        "orders",
        "users",
        "payments",
        "inventory",
        "delivery",
        "reports",
        "events",
        "promotions",
        "invoicing",
    }
    assert expected <= existing
    assert path[0] == "public"
    assert expected <= set(path)


def test_django_introspection_sees_tables_in_every_schema() -> None:
    tables = set(connection.introspection.table_names())
    assert {"accounts_user", "django_migrations", "django_celery_beat_periodictask"} <= tables


def probe_state() -> ProjectState:
    return ProjectState.from_apps(apps)


def test_cross_schema_foreign_keys_work_inside_one_atomic_block() -> None:
    state = migrate(
        "orders",
        probe_state(),
        migrations.CreateModel(
            "SchemaProbe",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("owner", models.ForeignKey("accounts.User", on_delete=models.CASCADE)),
            ],
        ),
    )
    assert schemas_of_table("orders_schemaprobe") == ["orders"]
    probe = state.apps.get_model("orders", "SchemaProbe")

    with transaction.atomic():
        user = User.objects.create_user("probe@example.com", "pw-long-enough-123")
        row = probe.objects.create(owner_id=user.pk)
        assert probe.objects.select_related("owner").get(pk=row.pk).owner.email == "probe@example.com"

    # The constraint is real across schemas: a row pointing at no user is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        probe.objects.create(owner_id=user.pk + 10_000)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_migrations_that_drop_an_index_or_unique_constraint_really_drop_them() -> None:
    state = migrate(
        "catalog",
        probe_state(),
        migrations.CreateModel(
            "IndexProbe",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("sku", models.CharField(max_length=20)),
                ("name", models.CharField(max_length=20)),
            ],
            options={
                "indexes": [models.Index(fields=["name"], name="probe_name_idx")],
                "constraints": [models.UniqueConstraint(fields=["sku"], name="probe_sku_unique")],
            },
        ),
    )
    assert index_schemas("probe_name_idx") == ["catalog"]
    assert constraint_exists("catalog_indexprobe", "probe_sku_unique")

    state = migrate("catalog", state, migrations.RemoveIndex("IndexProbe", "probe_name_idx"))
    state = migrate("catalog", state, migrations.RemoveConstraint("IndexProbe", "probe_sku_unique"))

    assert index_schemas("probe_name_idx") == []
    assert not constraint_exists("catalog_indexprobe", "probe_sku_unique")
    probe = state.apps.get_model("catalog", "IndexProbe")
    probe.objects.create(sku="A1", name="x")
    probe.objects.create(sku="A1", name="y")  # duplicates allowed once the constraint is gone
    assert probe.objects.filter(sku="A1").count() == 2


def test_a_renamed_model_keeps_its_schema() -> None:
    state = migrate(
        "inventory",
        probe_state(),
        migrations.CreateModel("RenameProbe", [("id", models.BigAutoField(primary_key=True))]),
    )
    migrate("inventory", state, migrations.RenameModel("RenameProbe", "RenamedProbe"))
    assert schemas_of_table("inventory_renameprobe") == []
    assert schemas_of_table("inventory_renamedprobe") == ["inventory"]


def test_a_model_of_an_app_without_a_schema_goes_to_public() -> None:
    migrate(
        "config",
        probe_state(),
        migrations.CreateModel("PublicProbe", [("id", models.BigAutoField(primary_key=True))]),
    )
    assert schemas_of_table("config_publicprobe") == ["public"]
