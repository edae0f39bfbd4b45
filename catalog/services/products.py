"""Writes of products, their variants (SKU, price, unit) and their images."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from catalog.models import Product, ProductImage, Variant
from catalog.services._common import (
    bump_versions,
    changed_catalog,
    check_fields,
    clean_attributes,
    clean_currency,
    clean_money,
    clean_slug,
    ensure_unique,
    gtin_is_valid,
    locked,
    refresh_search_vectors,
    save,
    save_changes,
)
from catalog.taxes import TaxClass
from catalog.units import Unit
from core.errors import InvalidInput, NotFound
from core.quantities import QuantityRefused, clean_quantity

PRODUCT_FIELDS = ("name", "slug", "description", "brand", "category", "attributes", "is_active")
VARIANT_FIELDS = (
    "sku",
    "barcode",
    "name",
    "price",
    "compare_at_price",
    "currency",
    "unit",
    "step",
    "weight_kg",
    "is_active",
    "position",
    "tax_class",
)
IMAGE_FIELDS = ("url", "alt_text", "position")
SEARCHED_FIELDS = {"name", "description", "brand", "category"}


# --- products -----------------------------------------------------------------------------------


def _clean_product(values: dict[str, Any], current: Product | None = None) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
        if not cleaned["name"]:
            raise InvalidInput(fields={"name": ["A product needs a name."]})
    if "slug" in cleaned or current is None:
        cleaned["slug"] = clean_slug(cleaned.get("slug", ""), cleaned.get("name", current.name if current else ""))
        ensure_unique(Product, "slug", cleaned["slug"], exclude_pk=current.pk if current else None)
    if current is None and cleaned.get("category") is None:
        raise InvalidInput(fields={"category": ["A product belongs to a category."]})
    if "category" in cleaned and cleaned["category"] is None:
        raise InvalidInput(fields={"category": ["A product belongs to a category."]})
    if "attributes" in cleaned:
        cleaned["attributes"] = clean_attributes(cleaned["attributes"] if cleaned["attributes"] is not None else {})
    return cleaned


def create_product(values: dict[str, Any]) -> Product:
    check_fields(values, PRODUCT_FIELDS)
    with transaction.atomic():
        product = Product(**_clean_product(values))
        save(product)
        refresh_search_vectors(Product.objects.filter(pk=product.pk))
        changed_catalog()
    return product


def update_product(product_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> Product:
    check_fields(changes, PRODUCT_FIELDS)
    with transaction.atomic():
        product = locked(Product, product_id, expected_version)
        changed = save_changes(product, _clean_product(changes, current=product))
        if SEARCHED_FIELDS & set(changed):
            refresh_search_vectors(Product.objects.filter(pk=product.pk))
        if changed:
            changed_catalog()
    return product


def delete_product(product_id: int) -> None:
    with transaction.atomic():
        locked(Product, product_id, None).delete()
        changed_catalog()


def set_products_active(product_ids: list[int], active: bool) -> int:
    """Bulk (de)activation, e.g. a season's assortment; returns how many products changed."""
    with transaction.atomic():
        count = bump_versions(Product.objects.filter(pk__in=product_ids).exclude(is_active=active), is_active=active)
        if count:
            changed_catalog()
    return count


# --- variants -----------------------------------------------------------------------------------


def _raise(error: Exception) -> None:
    raise error


def _clean_variant(values: dict[str, Any], current: Variant | None = None) -> dict[str, Any]:
    """The variant's values checked and normalised; every broken rule is reported at once."""
    cleaned = dict(values)
    exclude = current.pk if current else None
    problems: dict[str, list[str]] = {}
    codes: set[str] = set()

    def value(name: str, default: Any = None) -> Any:
        return cleaned[name] if name in cleaned else getattr(current, name, default)

    def check(field: str, rule: Any) -> None:
        try:
            rule()
        except InvalidInput as exc:
            codes.add(exc.code)
            for name, messages in (exc.fields or {field: [exc.message]}).items():
                problems.setdefault(name, []).extend(messages)

    def sku() -> None:
        cleaned["sku"] = str(cleaned.get("sku") or "").strip().upper()
        if not cleaned["sku"]:
            raise InvalidInput(fields={"sku": ["A variant needs a SKU."]})
        ensure_unique(Variant, "sku", cleaned["sku"], exclude_pk=exclude)

    def barcode() -> None:
        cleaned["barcode"] = str(cleaned["barcode"] or "").strip() or None
        if cleaned["barcode"] is not None and not gtin_is_valid(cleaned["barcode"]):
            raise InvalidInput(fields={"barcode": ["Not a valid GTIN (EAN-8/13, UPC-A, GTIN-14): check the digits."]})
        ensure_unique(Variant, "barcode", cleaned["barcode"], exclude_pk=exclude)

    def prices() -> None:
        if "price" in cleaned or current is None:
            cleaned["price"] = clean_money(cleaned.get("price"), "price")
        if cleaned.get("compare_at_price") is not None:
            cleaned["compare_at_price"] = clean_money(cleaned["compare_at_price"], "compare_at_price")
        compare_at = value("compare_at_price")
        if compare_at is not None and compare_at <= value("price"):
            raise InvalidInput(fields={"compare_at_price": ["The former price must be above the price."]})

    def unit_and_step() -> None:
        unit = value("unit", Unit.PIECE)
        if unit not in Unit.values:
            raise InvalidInput(fields={"unit": [f"One of {', '.join(Unit.values)}."]})
        step = value("step", Decimal("1"))
        try:  # a Decimal (what forms and serializers give) more than 0, to the gram
            valid = isinstance(step, Decimal) and bool(clean_quantity(step, maximum=None))
        except QuantityRefused:
            valid = False
        if not valid:
            raise InvalidInput(fields={"step": ["A positive quantity with at most three decimals."]})
        if unit == Unit.PIECE and step != 1:
            raise InvalidInput(fields={"step": ["Pieces are sold one by one: the step is 1."]})

    def weight() -> None:
        weight_kg = value("weight_kg")
        if weight_kg is not None and weight_kg <= 0:
            raise InvalidInput(fields={"weight_kg": ["Must be above 0 (or empty)."]})

    if "sku" in cleaned or current is None:
        check("sku", sku)
    if "barcode" in cleaned:
        check("barcode", barcode)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
    check("price", prices)
    if "currency" in cleaned or current is None:
        check("currency", lambda: cleaned.__setitem__("currency", clean_currency(cleaned.get("currency", ""))))
    check("unit", unit_and_step)
    check("weight_kg", weight)
    if "tax_class" in cleaned and cleaned["tax_class"] not in TaxClass.values:
        known = ", ".join(TaxClass.values)
        check("tax_class", lambda: _raise(InvalidInput(fields={"tax_class": [f"One of {known}."]})))
    if problems:
        # One kind of problem keeps its own code (e.g. `sku_taken`); several are just `invalid`.
        raise InvalidInput(fields=problems, code=codes.pop() if len(codes) == 1 else None)
    return cleaned


def create_variant(product_id: int, values: dict[str, Any]) -> Variant:
    check_fields(values, VARIANT_FIELDS)
    with transaction.atomic():
        product = locked(Product, product_id, None)
        variant = Variant(product=product, **_clean_variant(values))
        save(variant)
        changed_catalog()
    return variant


def update_variant(variant_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> Variant:
    """Change a variant, e.g. its price. A stale `expected_version` is refused (409), so two
    people (or a price feed and a person) never silently overwrite each other."""
    check_fields(changes, VARIANT_FIELDS)
    with transaction.atomic():
        variant = locked(Variant, variant_id, expected_version)
        if save_changes(variant, _clean_variant(changes, current=variant)):
            changed_catalog()
    return variant


def delete_variant(variant_id: int) -> None:
    with transaction.atomic():
        locked(Variant, variant_id, None).delete()
        changed_catalog()


def set_variants_active(variant_ids: list[int], active: bool) -> int:
    with transaction.atomic():
        count = bump_versions(Variant.objects.filter(pk__in=variant_ids).exclude(is_active=active), is_active=active)
        if count:
            changed_catalog()
    return count


# --- images -------------------------------------------------------------------------------------


def _clean_image(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    if "url" in cleaned and not str(cleaned["url"]).startswith("https://"):
        raise InvalidInput(fields={"url": ["Images are served over HTTPS."]})
    return cleaned


def add_image(product_id: int, values: dict[str, Any]) -> ProductImage:
    check_fields(values, IMAGE_FIELDS)
    with transaction.atomic():
        product = locked(Product, product_id, None)
        image = ProductImage(product=product, **_clean_image(values))
        save(image)
        changed_catalog()
    return image


def update_image(image_id: int, changes: dict[str, Any]) -> ProductImage:
    check_fields(changes, IMAGE_FIELDS)
    with transaction.atomic():
        image = locked(ProductImage, image_id, None)
        if save_changes(image, _clean_image(changes)):
            changed_catalog()
    return image


def delete_image(image_id: int) -> None:
    with transaction.atomic():
        deleted, _ = ProductImage.objects.filter(pk=image_id).delete()
        if not deleted:
            raise NotFound("There is no such image.")
        changed_catalog()
