"""Catalog files: checked first with line numbers, applied all or nothing and once, previewed in the
admin, prices changed through the catalog service, and an export re-imports without a change."""

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from catalog import demo
from catalog.models import Brand, CatalogImport, Category, Product, Variant
from catalog.services.catalog_file import COLUMNS
from catalog.services.imports import (
    CatalogFileAlreadyImported,
    export_rows,
    import_catalog,
    write_export,
)

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)
APPLES = 'fruit,Fruit,,apples,Apples,Orchard,Crisp apples,"{""origin"": ""DE""}"'
GOOD = [
    f"{APPLES},APL-1KG,1 kg bag,2.49,,EUR,piece,1,1,,reduced,true",
    f"{APPLES},APL-KG,loose,1.99,,EUR,kg,0.1,,,reduced,true",
    "drinks,Drinks,,water,Still water,,,,WAT-1L,1 l,0.59,0.79,EUR,l,1,1,4006381333931,standard,false",
]


def csv_file(*lines: str) -> bytes:
    return "\n".join([HEADER, *lines]).encode()


def catalog_state() -> list[dict[str, str]]:
    return list(export_rows())


def test_a_good_file_applies_once(tmp_path: Path) -> None:
    path = tmp_path / "assortment.csv"
    path.write_bytes(csv_file(*GOOD))
    out = io.StringIO()
    call_command("import_catalog", str(path), stdout=out)
    assert "3 row(s) applied: 8 created" in out.getvalue()  # 2 categories, 1 brand, 2 products, 3 variants
    assert "line 2: create category fruit (name: - → Fruit)" in out.getvalue()
    apples = Product.objects.get(slug="apples")
    assert (apples.brand.name, apples.category.slug, apples.attributes) == ("Orchard", "fruit", {"origin": "DE"})
    loose = Variant.objects.get(sku="APL-KG")
    assert (loose.unit, loose.step, loose.price) == ("kg", Decimal("0.100"), Decimal("1.99"))
    water = Variant.objects.get(sku="WAT-1L")
    assert (water.compare_at_price, water.barcode, water.is_active) == (Decimal("0.79"), "4006381333931", False)
    with pytest.raises(CommandError, match="imported already"):
        call_command("import_catalog", str(path))
    assert CatalogImport.objects.count() == 1 and Variant.objects.count() == 3


def test_a_file_with_bad_rows_applies_nothing_and_lists_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    bad_price = GOOD[1].replace("1.99", "one ninety")
    bad_unit_and_tax = GOOD[2].replace(",l,", ",crate,").replace("standard", "luxury")
    path.write_bytes(
        csv_file(GOOD[0], bad_price, bad_unit_and_tax, GOOD[0].replace("APL-1KG", "APL-2KG").replace("Apples", "Pears"))
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing applied"):
        call_command("import_catalog", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert "line 3: price is not a number: 'one ninety'." in lines
    assert any(line.startswith("line 4: unit is one of") for line in lines)
    assert any(line.startswith("line 4: tax_class is one of standard, reduced, zero") for line in lines)
    assert "line 5: Product apples differs from line 2 (one product, one way)." in lines
    assert not Variant.objects.exists() and not Category.objects.exists() and not CatalogImport.objects.exists()


def test_a_rule_of_the_service_refuses_the_whole_file_at_its_line() -> None:
    broken_barcode = GOOD[2].replace("4006381333931", "4006381333932")  # wrong check digit
    report = import_catalog(csv_file(GOOD[0], GOOD[1], broken_barcode), "feed.csv", apply=True)
    assert [(e.line, e.message.split(" barcode")[0]) for e in report.errors] == [(4, "The request has invalid fields.")]
    assert "GTIN" in report.errors[0].message
    assert not report.applied and not Variant.objects.exists() and not Brand.objects.exists()


def test_a_price_change_goes_through_the_catalog_service(django_capture_on_commit_callbacks: Any) -> None:
    import_catalog(csv_file(*GOOD), "first.csv", apply=True)
    variant = Variant.objects.get(sku="APL-1KG")
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_catalog(csv_file(GOOD[0].replace("2.49", "2.29"), *GOOD[1:]), "second.csv", apply=True)
    assert [str(c) for c in report.changes] == ["line 2: update variant APL-1KG (price: 2.49 → 2.29)"]
    changed = Variant.objects.get(pk=variant.pk)
    assert (changed.price, changed.version) == (Decimal("2.29"), variant.version + 1)
    assert callbacks  # the cached catalog pages are dropped when it commits


def test_an_export_re_imports_unchanged_as_csv_and_xlsx() -> None:
    demo.load()
    before = catalog_state()
    assert len(before) > 10
    for fmt in ("csv", "xlsx"):
        exported = write_export(export_rows(), fmt)
        report = import_catalog(exported, f"export.{fmt}", apply=True)
        assert (report.errors, report.changes, report.rows) == ([], [], len(before)), fmt
        assert catalog_state() == before
    sheet = openpyxl.load_workbook(io.BytesIO(write_export(export_rows(), "xlsx")), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True)) == COLUMNS


def test_the_admin_previews_then_applies_an_xlsx_file(admin_client: Client) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for line in GOOD[:2]:
        sheet.append(next(iter(__import__("csv").reader([line]))))
    content = io.BytesIO()
    book.save(content)
    upload = io.BytesIO(content.getvalue())
    upload.name = "apples.xlsx"
    preview = admin_client.post("/admin/catalog/product/import/", {"file": upload})
    assert preview.status_code == 200
    report = preview.context["report"]
    assert (report.errors, report.created) == ([], 5)  # category, brand, product, two variants
    assert b"Apply these changes" in preview.content and not Variant.objects.exists()
    applied = admin_client.post(
        "/admin/catalog/product/import/",
        {"apply": "1", "fingerprint": report.fingerprint, "format": "xlsx", "file_name": "apples.xlsx"},
    )
    assert applied.status_code == 302
    assert sorted(Variant.objects.values_list("sku", flat=True)) == ["APL-1KG", "APL-KG"]
    again = admin_client.post(
        "/admin/catalog/product/import/",
        {"apply": "1", "fingerprint": report.fingerprint, "format": "xlsx", "file_name": "apples.xlsx"},
    )
    assert again.status_code == 302 and CatalogImport.objects.count() == 1
    with pytest.raises(CatalogFileAlreadyImported):
        import_catalog(content.getvalue(), "apples.xlsx", apply=True)
    export = admin_client.get("/admin/catalog/product/export/csv/")
    assert export.status_code == 200 and export.content.decode().splitlines()[0] == HEADER
