"""The product listing's rows through the ORM, values-level: what ProductListSerializer writes,
built without a model instance or a serializer per product. The embedded SQLite run lists
products this way (catalog.selectors.listing on PostgreSQL writes them in one statement), and
LISTING_VARIANT_FIELDS are the variant fields both write."""

from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from catalog.models import Product, ProductImage
from catalog.selectors import active_variants
from core.money import amount_text
from core.quantities import quantity_text, quantize_quantity

LISTING_FIELDS = (
    "id",
    "slug",
    "name",
    "attributes",
    "brand_id",
    "brand__name",
    "brand__slug",
    "category_id",
    "category__name",
    "category__slug",
)
LISTING_VARIANT_FIELDS = (
    "id",
    "sku",
    "barcode",
    "name",
    "price",
    "compare_at_price",
    "currency",
    "unit",
    "step",
    "weight_kg",
)


def listing_values(products: QuerySet[Product]) -> QuerySet[Product, dict[str, Any]]:
    """The listing's own columns of each product (brand and category joined), as dicts: a page of
    them costs no model instances."""
    return products.values(*LISTING_FIELDS)


def listing_relations(product_ids: list[int]) -> tuple[dict[int, list[dict[str, Any]]], dict[int, dict[str, Any]]]:
    """For a page of products, two queries: their active variants (in display order) and their
    first image, as dicts by product id."""
    variants: dict[int, list[dict[str, Any]]] = {pk: [] for pk in product_ids}
    for row in active_variants().filter(product_id__in=product_ids).values("product_id", *LISTING_VARIANT_FIELDS):
        variants[row.pop("product_id")].append(row)
    images: dict[int, dict[str, Any]] = {}
    first_images = ProductImage.objects.filter(product_id__in=product_ids).order_by("product_id", "position", "id")
    if connection.vendor == "postgresql":
        first_images = first_images.distinct("product_id")
    for product_id, url, alt_text in first_images.values_list("product_id", "url", "alt_text"):
        images.setdefault(product_id, {"url": url, "alt_text": alt_text})
    return variants, images


def _quantity(value: Decimal | None) -> str | None:
    return None if value is None else quantity_text(quantize_quantity(value))


def listing_rows(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ProductListSerializer writes, built from `listing_values` rows and `listing_relations`
    without a serializer per product."""
    variants_of, image_of = listing_relations([row["id"] for row in products])
    rows = []
    for row in products:
        variants = [
            {
                **variant,
                "price": amount_text(variant["price"]),
                "compare_at_price": None
                if variant["compare_at_price"] is None
                else amount_text(variant["compare_at_price"]),
                "step": _quantity(variant["step"]),
                "weight_kg": _quantity(variant["weight_kg"]),
            }
            for variant in variants_of[row["id"]]
        ]
        cheapest = min(variants_of[row["id"]], key=lambda v: (v["price"], v["id"]), default=None)
        rows.append(
            {
                "id": row["id"],
                "slug": row["slug"],
                "name": row["name"],
                "brand": None
                if row["brand_id"] is None
                else {"id": row["brand_id"], "name": row["brand__name"], "slug": row["brand__slug"]},
                "category": {"id": row["category_id"], "name": row["category__name"], "slug": row["category__slug"]},
                "image": image_of.get(row["id"]),
                "attributes": row["attributes"],
                "price_from": None if cheapest is None else amount_text(cheapest["price"]),
                "currency": None if cheapest is None else cheapest["currency"],
                "variants": variants,
            }
        )
    return rows
