"""A catalog file's columns, and its rows read and checked before anything is applied
(catalog/services/imports.py applies them): CSV or XLSX, every problem with its line number.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from catalog.models import Category, Variant
from catalog.services import products
from catalog.units import Unit
from core.errors import InvalidInput

COLUMNS = (
    "category_slug",
    "category_name",
    "parent_category_slug",
    "product_slug",
    "product_name",
    "brand",
    "description",
    "attributes",
    "sku",
    "variant_name",
    "price",
    "compare_at_price",
    "currency",
    "unit",
    "step",
    "weight_kg",
    "barcode",
    "tax_class",
    "is_active",
)
REQUIRED = ("category_slug", "product_slug", "product_name", "sku", "price", "currency", "unit")
TAX_CLASSES = ("standard", "reduced", "zero")
FORMATS = ("csv", "xlsx")

# The one place where the file's `tax_class` column meets the variant: the VAT work adds
# `Variant.tax_class` (standard, reduced, zero) and lets catalog.services take it; until both are
# there the column is checked and exported empty, and nothing is written from it.
TAX_CLASS_FIELD = "tax_class"


def tax_class_is_stored() -> bool:
    has_field = any(f.name == TAX_CLASS_FIELD for f in Variant._meta.concrete_fields)
    return has_field and TAX_CLASS_FIELD in products.VARIANT_FIELDS


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


# --- reading ------------------------------------------------------------------------------------


def file_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(f"A catalog file is .csv or .xlsx, not {file_name!r}.", code="catalog_file_format")
    return suffix


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value != int(value) else str(int(value))
    return str(value).strip()


def read_rows(content: bytes, fmt: str) -> tuple[list[tuple[int, dict[str, str]]], list[LineError]]:
    """The rows as (line number, {column: text}), and problems of the file as a whole."""
    if fmt == "csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [LineError(1, "The file is not UTF-8 text.")]
        reader = csv.reader(io.StringIO(text, newline=""))
        records: Iterator[tuple[int, list[Any]]] = ((reader.line_num, row) for row in reader)
    else:
        import openpyxl  # only for XLSX files: a few MB the web process need not load otherwise

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            return [], [LineError(1, f"Not a readable XLSX file: {exc}")]
        sheet = book.worksheets[0]
        records = ((number, list(row)) for number, row in enumerate(sheet.iter_rows(values_only=True), start=1))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in records:
        cells = [_text(v) for v in values]
        if header is None:
            header = [c.lower() for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                return [], [LineError(line, f"Missing columns: {', '.join(missing)}.")]
            unknown = [c for c in header if c and c not in COLUMNS]
            if unknown:
                return [], [
                    LineError(line, f"Unknown columns: {', '.join(unknown)} (the columns: {', '.join(COLUMNS)}).")
                ]
            continue
        if not any(cells):
            continue
        rows.append((line, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}))
    if header is None:
        return [], [LineError(1, "The file is empty.")]
    return rows, []


# --- checking -----------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    category: tuple[str, str, str]  # slug, name, parent slug
    product: dict[str, Any]  # slug, name, brand, description, attributes
    variant: dict[str, Any]  # sku and the variant fields


def _decimal(value: str, column: str, problems: list[str], *, optional: bool = False) -> Decimal | None:
    if not value:
        if not optional:
            problems.append(f"{column} is required.")
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        problems.append(f"{column} is not a number: {value!r}.")
        return None
    if not number.is_finite():
        problems.append(f"{column} is not a number: {value!r}.")
        return None
    return number


def _bool(value: str, column: str, problems: list[str]) -> bool:
    lowered = value.lower()
    if lowered in ("", "true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    problems.append(f"{column} is true or false, not {value!r}.")
    return True


def check_row(line: int, raw: dict[str, str]) -> tuple[Row | None, list[str]]:
    """The row's own rules; those that need the database or the other rows come later."""
    problems = [f"{column} is required." for column in REQUIRED if column not in ("price",) and not raw.get(column)]
    attributes: dict[str, Any] = {}
    if raw.get("attributes"):
        try:
            attributes = json.loads(raw["attributes"])
        except json.JSONDecodeError:
            problems.append('attributes is a JSON object, e.g. {"origin": "ES"}.')
        else:
            if not isinstance(attributes, dict):
                problems.append('attributes is a JSON object, e.g. {"origin": "ES"}.')
                attributes = {}
    price = _decimal(raw.get("price", ""), "price", problems)
    compare_at = _decimal(raw.get("compare_at_price", ""), "compare_at_price", problems, optional=True)
    step = _decimal(raw.get("step", ""), "step", problems, optional=True)
    weight = _decimal(raw.get("weight_kg", ""), "weight_kg", problems, optional=True)
    unit = raw.get("unit", "")
    if unit and unit not in Unit.values:
        problems.append(f"unit is one of {', '.join(Unit.values)}, not {unit!r}.")
    tax_class = raw.get("tax_class", "").lower()
    if tax_class and tax_class not in TAX_CLASSES:
        problems.append(f"tax_class is one of {', '.join(TAX_CLASSES)}, not {raw['tax_class']!r}.")
    active = _bool(raw.get("is_active", ""), "is_active", problems)
    if problems:
        return None, problems
    variant: dict[str, Any] = {
        "sku": raw["sku"].upper(),
        "name": raw.get("variant_name", ""),
        "price": price,
        "compare_at_price": compare_at,
        "currency": raw["currency"].upper(),
        "unit": unit,
        "step": step if step is not None else Decimal("1"),
        "weight_kg": weight,
        "barcode": raw.get("barcode") or None,
        "is_active": active,
    }
    if tax_class_is_stored():
        variant[TAX_CLASS_FIELD] = tax_class or "standard"
    product = {
        "slug": raw["product_slug"],
        "name": raw["product_name"],
        "brand": raw.get("brand", ""),
        "description": raw.get("description", ""),
        "attributes": attributes,
    }
    category = (raw["category_slug"], raw.get("category_name", ""), raw.get("parent_category_slug", ""))
    return Row(line, category, product, variant), []


def check_rows(raw_rows: list[tuple[int, dict[str, str]]]) -> tuple[list[Row], list[LineError]]:
    rows: list[Row] = []
    errors: list[LineError] = []
    for line, raw in raw_rows:
        row, problems = check_row(line, raw)
        errors += [LineError(line, problem) for problem in problems]
        if row is not None:
            rows.append(row)
    first_sku: dict[str, int] = {}
    first_product: dict[str, Row] = {}
    first_category: dict[str, Row] = {}
    for row in rows:
        sku = row.variant["sku"]
        if sku in first_sku:
            errors.append(LineError(row.line, f"SKU {sku} is on line {first_sku[sku]} already."))
        first_sku.setdefault(sku, row.line)
        seen = first_product.setdefault(row.product["slug"], row)
        if seen.product != row.product:
            errors.append(
                LineError(
                    row.line, f"Product {row.product['slug']} differs from line {seen.line} (one product, one way)."
                )
            )
        seen_category = first_category.setdefault(row.category[0], row)
        if seen_category.category != row.category:
            errors.append(LineError(row.line, f"Category {row.category[0]} differs from line {seen_category.line}."))
    known = set(first_category) | set(
        Category.objects.filter(slug__in=[r.category[2] for r in rows]).values_list("slug", flat=True)
    )
    for slug, row in first_category.items():
        if row.category[2] and row.category[2] not in known:
            errors.append(
                LineError(row.line, f"Parent category {row.category[2]} is neither in the catalog nor in the file.")
            )
        if not row.category[1] and not Category.objects.filter(slug=slug).exists():
            errors.append(LineError(row.line, f"Category {slug} is new: it needs a category_name."))
    return rows, sorted(errors, key=lambda e: e.line)
