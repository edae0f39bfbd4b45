"""Inserting a row that may already exist, without a savepoint.

`Model.objects.create()` inside `atomic()` around an expected IntegrityError costs a SAVEPOINT and
a RELEASE around every INSERT of a hot path. `insert_unless_conflict` is one statement instead:
`INSERT ... ON CONFLICT DO NOTHING RETURNING pk`, so the caller's transaction stays usable and
the caller looks up the row that was there first. `insert_with_children` writes a row and the
rows that point at it in one statement (an order and its lines, a payment and its authorization).
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from core.db import rows
from core.db.statements import statement_cursor


def insert_unless_conflict(instance: Model, *, using: str = "default") -> bool:
    """Insert the unsaved instance as `save()` would; False (and nothing written) when a unique
    constraint or index already holds a row it would duplicate, True with its pk set otherwise."""
    return _insert(instance, OnConflict.IGNORE, using)


def _insert(instance: Model, on_conflict: OnConflict | None, using: str) -> bool:
    """One INSERT of the unsaved instance, its pk returned and set (no save signals)."""
    meta = instance._meta
    fields = [field for field in meta.local_concrete_fields if not (field.primary_key and instance.pk is None)]
    query = InsertQuery(type(instance), on_conflict=on_conflict)
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


def insert_with_children(
    parent: Model, children: Sequence[Model], link: str, *, unless_conflict: bool = False, using: str = "default"
) -> bool:
    """The unsaved `parent` and its unsaved `children` (whose foreign key `link` names the parent),
    their pks set. On PostgreSQL one statement: a data-modifying WITH, the rows bound as two JSON
    parameters (psycopg caches the parsing of a statement only up to 50 parameters, and converts
    each one in Python; docs/decisions/0075). With `unless_conflict`, a parent that a unique
    constraint or index already holds writes nothing and returns False. No save signals are sent:
    the callers send those their models had."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not children:  # the embedded SQLite: no data-modifying WITH
        if not _insert(parent, OnConflict.IGNORE if unless_conflict else None, using):
            return False
        for child in children:
            setattr(child, link, parent)
            _insert(child, None, using)
        return True
    sql, parent_fields, child_fields = _parent_and_children_sql(type(parent), type(children[0]), link, unless_conflict)
    cursor = statement_cursor()  # prepared once per connection and shape
    cursor.execute(sql, [rows.json_rows([parent], parent_fields), rows.json_rows(children, child_fields)])
    created = cursor.fetchall()
    if not created:
        return False
    parent.pk = created[0][0]
    # The children were inserted in list order, each drawing its id from the sequence in turn.
    for child, (_, child_pk) in zip(children, sorted(created, key=lambda row: row[1]), strict=True):
        child.pk = child_pk
        setattr(child, link, parent)
    for instance in (parent, *children):
        instance._state.adding, instance._state.db = False, using
    return True


@functools.cache
def _parent_and_children_sql(
    parent_model: type[Model], child_model: type[Model], link: str, unless_conflict: bool
) -> tuple[str, list[Any], list[Any]]:
    """`insert_with_children`'s statement and the fields it writes of each model, once per shape."""
    quote = connections["default"].ops.quote_name
    parent_fields = rows.insert_columns(parent_model)
    child_fields = [field for field in rows.insert_columns(child_model) if field.name != link]
    parent_columns = ", ".join(quote(field.column) for field in parent_fields)
    child_columns = ", ".join(quote(field.column) for field in child_fields)
    parent_pk, child_pk = quote(str(parent_model._meta.pk.column)), quote(str(child_model._meta.pk.column))
    link_column = quote(str(rows.field(child_model, link).column))
    parent_table, child_table = rows.table(parent_model), rows.table(child_model)
    sql = (
        f"WITH parent AS (INSERT INTO {parent_table} ({parent_columns}) "  # noqa: S608
        f"SELECT {parent_columns} FROM jsonb_populate_recordset(NULL::{parent_table}, %s::jsonb) "
        f"{'ON CONFLICT DO NOTHING ' if unless_conflict else ''}RETURNING {parent_pk}), "
        f"children AS (INSERT INTO {child_table} ({link_column}, {child_columns}) "
        f"SELECT parent.{parent_pk}, {', '.join(f'r.{quote(field.column)}' for field in child_fields)} "
        f"FROM parent, jsonb_populate_recordset(NULL::{child_table}, %s::jsonb) WITH ORDINALITY AS r "
        f"ORDER BY r.ordinality RETURNING {child_pk}) "
        f"SELECT parent.{parent_pk}, children.{child_pk} FROM parent, children"
    )
    return sql, parent_fields, child_fields
