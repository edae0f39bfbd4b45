"""Catalog files in and out: categories, brands, products and their variants with prices, units,
tax class and attributes, one row per variant, as CSV or XLSX.

An import is checked first, every row, and the problems are listed with their line numbers; then
it is applied in one transaction through the catalog's own services (so a price change bumps the
variant's version and drops the cached catalog pages when it commits, like any other price
change), all or nothing, and the same file (by content) only once. The preview is the same run,
rolled back: it lists exactly what applying would change, rules of the services included.
An export writes the same columns, so an exported file re-imports without changing anything.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from catalog.models import Brand, CatalogImport, Category, Product, Variant
from catalog.services import categories, products
from catalog.units import Unit
from core.errors import Conflict, DomainError, InvalidInput

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


class CatalogFileAlreadyImported(Conflict):
    code = "catalog_file_already_imported"
    default_message = "This file was imported already; nothing was changed."


class CatalogFileInvalid(InvalidInput):
    code = "catalog_file_invalid"
    default_message = "The file has problems; nothing was changed."


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Change:
    line: int
    kind: str  # "create" or "update"
    target: str  # "variant FRU-BAN-KG", "product bananas", ...
    fields: dict[str, tuple[str, str]]  # name: (before, after), as text

    def __str__(self) -> str:
        shown = ", ".join(f"{name}: {before or '-'} → {after or '-'}" for name, (before, after) in self.fields.items())
        return f"line {self.line}: {self.kind} {self.target}" + (f" ({shown})" if shown else "")


@dataclass
class ImportReport:
    file_name: str
    fingerprint: str
    rows: int = 0
    errors: list[LineError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    applied: bool = False
    imported_before: str = ""  # when the same file was applied already (a preview says so)

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.kind == "create")

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if c.kind == "update")

    @property
    def unchanged(self) -> int:
        touched = {c.line for c in self.changes if c.target.startswith("variant ")}
        return self.rows - len(touched)


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


# --- applying -----------------------------------------------------------------------------------


models_with_name = (Category, Brand, Product)


class _RowFailed(Exception):
    def __init__(self, line: int, exc: DomainError) -> None:
        details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.fields.items())
        super().__init__(f"{exc.message} {details}".strip())
        self.line = line


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, models_with_name):
        return getattr(value, "slug", str(value))
    return str(value)


def _differences(current: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name, value in wanted.items():
        before = getattr(current, name)
        if isinstance(before, Decimal) and isinstance(value, Decimal):
            same = before == value
        elif isinstance(before, models_with_name) or isinstance(value, models_with_name):
            same = getattr(before, "pk", None) == getattr(value, "pk", None)
        else:
            same = before == value
        if not same:
            changes[name] = value
    return changes


def _call(line: int, action: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return action(*args, **kwargs)
    except DomainError as exc:
        raise _RowFailed(line, exc) from None


def _apply(rows: list[Row], report: ImportReport) -> None:
    by_slug: dict[str, Category] = {c.slug: c for c in Category.objects.filter(slug__in={r.category[0] for r in rows})}
    by_slug.update(
        {c.slug: c for c in Category.objects.filter(slug__in={r.category[2] for r in rows if r.category[2]})}
    )
    pending: dict[str, Row] = {}
    for row in rows:
        pending.setdefault(row.category[0], row)  # named by its first line
    while pending:  # parents first: a category whose parent is still to be written waits a round
        ready = [
            r
            for slug, r in pending.items()
            if not r.category[2] or r.category[2] not in pending or r.category[2] == slug
        ]
        if not ready:
            row = next(iter(pending.values()))
            raise _RowFailed(
                row.line, InvalidInput(f"Categories {', '.join(sorted(pending))} are each other's parents.")
            )
        for row in ready:
            slug, name, parent_slug = row.category
            wanted: dict[str, Any] = {"parent": by_slug.get(parent_slug) if parent_slug else None}
            if name:
                wanted["name"] = name
            current = by_slug.get(slug)
            if current is None:
                by_slug[slug] = _call(row.line, categories.create_category, {"slug": slug, **wanted})
                report.changes.append(
                    Change(row.line, "create", f"category {slug}", {k: ("", _shown(v)) for k, v in wanted.items() if v})
                )
            elif changes := _differences(current, wanted):
                by_slug[slug] = _call(row.line, categories.update_category, current.pk, changes)
                report.changes.append(
                    Change(
                        row.line,
                        "update",
                        f"category {slug}",
                        {k: (_shown(getattr(current, k)), _shown(v)) for k, v in changes.items()},
                    )
                )
            del pending[slug]

    brands: dict[str, Brand] = {}
    for row in rows:
        name = row.product["brand"]
        if name and name.lower() not in brands:
            found = Brand.objects.filter(name__iexact=name).first()
            if found is None:
                found = _call(row.line, categories.create_brand, {"name": name})
                report.changes.append(Change(row.line, "create", f"brand {name}", {"name": ("", name)}))
            brands[name.lower()] = found

    products_by_slug: dict[str, Product] = {
        p.slug: p
        for p in Product.objects.select_related("brand", "category").filter(slug__in={r.product["slug"] for r in rows})
    }
    done: set[str] = set()
    for row in rows:
        slug = row.product["slug"]
        if slug in done:
            continue
        done.add(slug)
        wanted = {
            "name": row.product["name"],
            "category": by_slug[row.category[0]],
            "brand": brands.get(row.product["brand"].lower()) if row.product["brand"] else None,
            "description": row.product["description"],
            "attributes": row.product["attributes"],
        }
        current_product = products_by_slug.get(slug)
        if current_product is None:
            products_by_slug[slug] = _call(row.line, products.create_product, {"slug": slug, **wanted})
            report.changes.append(
                Change(row.line, "create", f"product {slug}", {k: ("", _shown(v)) for k, v in wanted.items() if v})
            )
        elif changes := _differences(current_product, wanted):
            before = {k: _shown(getattr(current_product, k)) for k in changes}
            products_by_slug[slug] = _call(row.line, products.update_product, current_product.pk, changes)
            report.changes.append(
                Change(row.line, "update", f"product {slug}", {k: (before[k], _shown(v)) for k, v in changes.items()})
            )

    variants = {
        v.sku: v for v in Variant.objects.select_related("product").filter(sku__in={r.variant["sku"] for r in rows})
    }
    for row in rows:
        values = dict(row.variant)
        sku = values["sku"]
        product = products_by_slug[row.product["slug"]]
        current_variant = variants.get(sku)
        if current_variant is None:
            _call(row.line, products.create_variant, product.pk, values)
            report.changes.append(
                Change(
                    row.line,
                    "create",
                    f"variant {sku}",
                    {k: ("", _shown(v)) for k, v in values.items() if v not in (None, "")},
                )
            )
            continue
        if current_variant.product_id != product.pk:
            raise _RowFailed(
                row.line,
                InvalidInput(f"SKU {sku} belongs to product {current_variant.product.slug}, not {product.slug}."),
            )
        del values["sku"]
        if changes := _differences(current_variant, values):
            before = {k: _shown(getattr(current_variant, k)) for k in changes}
            _call(row.line, products.update_variant, current_variant.pk, changes)
            report.changes.append(
                Change(row.line, "update", f"variant {sku}", {k: (before[k], _shown(v)) for k, v in changes.items()})
            )


def import_catalog(content: bytes, file_name: str, *, apply: bool, actor_id: int | None = None) -> ImportReport:
    """Check the file, then preview (apply=False: everything is run and rolled back) or apply it.
    Problems are in `report.errors` (nothing changed); applying a file twice raises
    CatalogFileAlreadyImported."""
    fmt = file_format(file_name)
    report = ImportReport(file_name=Path(file_name).name, fingerprint=hashlib.sha256(content).hexdigest())
    earlier = CatalogImport.objects.filter(fingerprint=report.fingerprint).first()
    if earlier is not None:
        if apply:
            raise CatalogFileAlreadyImported(f"This file was imported already: {earlier}. Nothing was changed.")
        report.imported_before = str(earlier)
    raw_rows, report.errors = read_rows(content, fmt)
    report.rows = len(raw_rows)
    rows, row_errors = check_rows(raw_rows)
    report.errors += row_errors
    if report.errors:
        return report
    try:
        with transaction.atomic():
            _apply(rows, report)
            if apply:
                CatalogImport.objects.create(
                    fingerprint=report.fingerprint,
                    file_name=report.file_name[:255],
                    rows=report.rows,
                    created=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    actor_id=actor_id,
                )
            else:
                transaction.set_rollback(True)
    except _RowFailed as failed:
        report.changes = []
        report.errors = [LineError(failed.line, str(failed))]
        return report
    except IntegrityError:  # the same file, applied at the same moment by someone else
        raise CatalogFileAlreadyImported() from None
    report.applied = apply
    return report


# --- exporting ----------------------------------------------------------------------------------


def export_rows() -> Iterator[dict[str, str]]:
    """Every variant as a row of the import's columns, by category, product and position."""
    stored_tax_class = tax_class_is_stored()
    variants = Variant.objects.select_related("product__category__parent", "product__brand").order_by(
        "product__category__path", "product__slug", "position", "sku"
    )
    for variant in variants.iterator(chunk_size=500):
        product = variant.product
        category = product.category
        yield {
            "category_slug": category.slug,
            "category_name": category.name,
            "parent_category_slug": category.parent.slug if category.parent else "",
            "product_slug": product.slug,
            "product_name": product.name,
            "brand": product.brand.name if product.brand else "",
            "description": product.description,
            "attributes": json.dumps(product.attributes, sort_keys=True, ensure_ascii=False)
            if product.attributes
            else "",
            "sku": variant.sku,
            "variant_name": variant.name,
            "price": str(variant.price),
            "compare_at_price": "" if variant.compare_at_price is None else str(variant.compare_at_price),
            "currency": variant.currency,
            "unit": variant.unit,
            "step": format(variant.step.normalize(), "f"),
            "weight_kg": "" if variant.weight_kg is None else format(variant.weight_kg.normalize(), "f"),
            "barcode": variant.barcode or "",
            "tax_class": str(getattr(variant, TAX_CLASS_FIELD, "")) if stored_tax_class else "",
            "is_active": "true" if variant.is_active else "false",
        }


def write_export(rows: Iterable[dict[str, str]], fmt: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("catalog")
    sheet.write_row(0, 0, COLUMNS)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, [row[column] for column in COLUMNS])
    book.close()
    return output.getvalue()
