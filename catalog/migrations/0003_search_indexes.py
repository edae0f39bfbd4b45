"""Full-text and trigram search on PostgreSQL: a GIN index on the stored search vector, a trigram
index on product names for the typo fallback, and a jsonb_path_ops index for attribute filters.

PostgreSQL only (the embedded SQLite run searches with LIKE), so the indexes are plain SQL that the
model state does not track; they are dropped again when the migration is reversed.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS product_search_vector_idx ON catalog_product USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS product_name_trgm_idx ON catalog_product USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS product_attributes_idx ON catalog_product USING gin (attributes jsonb_path_ops)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS product_attributes_idx",
    "DROP INDEX IF EXISTS product_name_trgm_idx",
    "DROP INDEX IF EXISTS product_search_vector_idx",
]


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_catalog_tree_products_variants")]
    operations = [migrations.RunPython(forwards, backwards)]
