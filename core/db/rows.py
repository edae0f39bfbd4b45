"""Model instances from the columns of a hand-written joined SELECT, for the hot paths where
compiling the ORM's query costs more than running it (order placement, docs/decisions/0075).

`select_list(model, alias)` is every concrete column of the model in field order; `Rows.take`
turns the next slice of a row into an instance as the ORM would (`Model.from_db`'s, with the
backend's and the field's converters applied, e.g. a JSONField's decoding), or None when the slice
is a LEFT JOIN's missing row (its primary key is NULL)."""

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)
_Converter = Callable[[Any, Any, Any], Any]

_Layout = tuple[int, list[tuple[int, Any, list[_Converter]]], int, list[str] | None]
_layouts: dict[type[Model], _Layout] = {}


def _layout(model: type[Model]) -> _Layout:
    """(column count, converters by column position, primary key position, the attribute names
    when an instance may be made without `Model.__init__`), once per model."""
    found = _layouts.get(model)
    if found is None:
        fields = model._meta.concrete_fields
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)  # what the ORM's compiler converts with
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((position, column, functions))
        pk = next(position for position, field in enumerate(fields) if field.primary_key)
        plain = model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__  # type: ignore[attr-defined]
        found = _layouts[model] = (len(fields), converters, pk, [field.attname for field in fields] if plain else None)
    return found


def _instance(model: type[M], attnames: list[str] | None, values: list[Any]) -> M:
    """`model.from_db(...)` for every column: what `Model.__init__` does with positional values
    (each in the instance's dict under its attname, a fresh ModelState) without its per-field
    loop and its pre_init and post_init signals, unless the model overrides either or something
    listens to them (placement makes 25 instances per order this way)."""
    if attnames is None or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(DEFAULT_DB_ALIAS, None, values)  # type: ignore[arg-type]
    instance = model.__new__(model)
    state = instance._state = ModelState()
    # `connection` is the default database's (each `connection.x` is a look-up through a proxy).
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


def field(model: type[Model], name: str) -> Any:
    """The model's field or relation `name` (typed loosely: callers set its cache on instances)."""
    return model._meta.get_field(name)


def related(model: type[Model], name: str) -> Any:
    """The model a relation of `model` leads to, without importing it (another app's model)."""
    return model._meta.get_field(name).related_model


def select_list(model: type[Model], alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Rows:
    """Reads consecutive models' columns off one row, left to right."""

    def __init__(self, row: Sequence[Any]) -> None:
        self.row, self.at = row, 0

    def take(self, model: type[M]) -> M | None:
        count, converters, pk, attnames = _layout(model)
        values = list(self.row[self.at : self.at + count])
        self.at += count
        if values[pk] is None:
            return None
        for position, field, functions in converters:
            for convert in functions:
                values[position] = convert(values[position], field, connection)
        return _instance(model, attnames, values)


def insert_columns(model: type[Model]) -> list[Any]:
    """The fields an INSERT of the model writes (the ORM's: all concrete ones but an automatic
    primary key)."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if not (field.primary_key and field.auto_created) and not getattr(field, "generated", False)
    ]


def _plain(value: object) -> object:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()  # to the microsecond (DjangoJSONEncoder cuts to milliseconds)
    raise TypeError(f"{type(value).__name__} is not a column value")


def json_rows(instances: Sequence[Model], fields: list[Any]) -> str:
    """The instances' column values (after pre_save, as an INSERT writes them) as a JSON array
    for `jsonb_populate_recordset`: one parameter however many rows and columns (psycopg's
    client-side binding caches a statement's parsing only up to 50 parameters, and converts each
    parameter in Python)."""
    return json.dumps(
        [{field.column: field.pre_save(instance, True) for field in fields} for instance in instances],
        default=_plain,
    )
