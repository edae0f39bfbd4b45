"""Inserting a row that may already exist, without a savepoint.

`Model.objects.create()` inside `atomic()` around an expected IntegrityError costs a SAVEPOINT and
a RELEASE around every INSERT of a hot path. `insert_unless_conflict` is one statement instead:
`INSERT ... ON CONFLICT DO NOTHING RETURNING pk`, so the caller's transaction stays usable and
the caller looks up the row that was there first.
"""

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from core.db import rows


def insert_unless_conflict(instance: Model, *, using: str = "default") -> bool:
    """Insert the unsaved instance as `save()` would; False (and nothing written) when a unique
    constraint or index already holds a row it would duplicate, True with its pk set otherwise."""
    meta = instance._meta
    fields = [field for field in meta.local_concrete_fields if not (field.primary_key and instance.pk is None)]
    query = InsertQuery(type(instance), on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, using
    return True


def insert_with_child_unless_conflict(parent: Model, child: Model, link: str, *, using: str = "default") -> bool:
    """`insert_unless_conflict(parent)`, and when it inserted, the unsaved `child` whose foreign key
    `link` names the parent, in the same statement on PostgreSQL (a data-modifying WITH, the rows
    bound as JSON: docs/decisions/0075). False and nothing written on a conflict; True with both
    pks set otherwise. The child's save signals are sent as its create() sent them."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        if not insert_unless_conflict(parent, using=using):
            return False
        setattr(child, link, parent)
        child.save(force_insert=True, using=using)
        return True
    parent_model, child_model = type(parent), type(child)
    parent_fields = rows.insert_columns(parent_model)
    child_fields = [field for field in rows.insert_columns(child_model) if field.name != link]
    quote = connection.ops.quote_name
    parent_columns = ", ".join(quote(field.column) for field in parent_fields)
    child_columns = ", ".join(quote(field.column) for field in child_fields)
    parent_pk, child_pk = quote(str(parent_model._meta.pk.column)), quote(str(child_model._meta.pk.column))
    link_column = quote(str(rows.field(child_model, link).column))
    sql = (
        f"WITH parent AS (INSERT INTO {rows.table(parent_model)} ({parent_columns}) "  # noqa: S608
        f"SELECT {parent_columns} FROM jsonb_populate_recordset(NULL::{rows.table(parent_model)}, %s::jsonb) "
        f"ON CONFLICT DO NOTHING RETURNING {parent_pk}), "
        f"child AS (INSERT INTO {rows.table(child_model)} ({link_column}, {child_columns}) "
        f"SELECT parent.{parent_pk}, {child_columns} "
        f"FROM parent, jsonb_populate_recordset(NULL::{rows.table(child_model)}, %s::jsonb) RETURNING {child_pk}) "
        f"SELECT parent.{parent_pk}, child.{child_pk} FROM parent, child"
    )
    pre_save.send(sender=child_model, instance=child, raw=False, using=using, update_fields=None)
    with connection.cursor() as cursor:
        cursor.execute(sql, [rows.json_rows([parent], parent_fields), rows.json_rows([child], child_fields)])
        row = cursor.fetchone()
    if row is None:
        return False
    parent.pk, child.pk = row
    setattr(child, link, parent)
    for instance in (parent, child):
        instance._state.adding, instance._state.db = False, using
    post_save.send(sender=child_model, instance=child, created=True, raw=False, using=using, update_fields=None)
    return True
