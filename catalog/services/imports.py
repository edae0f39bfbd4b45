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
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from catalog.models import Brand, CatalogImport, Category, Product, Variant
from catalog.services import categories, products
from catalog.services.catalog_file import (
    COLUMNS,
    TAX_CLASS_FIELD,
    LineError,
    Row,
    check_rows,
    file_format,
    read_rows,
    tax_class_is_stored,
)
from core.errors import Conflict, DomainError, InvalidInput


class CatalogFileAlreadyImported(Conflict):
    code = "catalog_file_already_imported"
    default_message = "This file was imported already; nothing was changed."


class CatalogFileInvalid(InvalidInput):
    code = "catalog_file_invalid"
    default_message = "The file has problems; nothing was changed."


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
