"""Inserting a row that may already exist, without a savepoint.

`Model.objects.create()` inside `atomic()` around an expected IntegrityError costs a SAVEPOINT and
a RELEASE around every INSERT of a hot path. `insert_unless_conflict` is one statement instead:
`INSERT ... ON CONFLICT DO NOTHING RETURNING pk`, so the caller's transaction stays usable and
the caller looks up the row that was there first.
"""

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


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
