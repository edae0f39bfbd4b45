"""Writes of the catalog. Every function is one transaction, checks the catalog's rules, keeps the
search vectors current, and invalidates the cached catalog pages when it commits."""

from catalog.services._common import clean_attributes, clean_currency, gtin_is_valid, refresh_search_vectors
from catalog.services.categories import (
    create_brand,
    create_category,
    delete_brand,
    delete_category,
    set_categories_active,
    update_brand,
    update_category,
)
from catalog.services.products import (
    add_image,
    create_product,
    create_variant,
    delete_image,
    delete_product,
    delete_variant,
    set_products_active,
    set_variants_active,
    update_image,
    update_product,
    update_variant,
)
from catalog.services.taxes import add_tax_rate, delete_tax_rate, update_tax_rate

__all__ = [
    "add_image",
    "add_tax_rate",
    "clean_attributes",
    "clean_currency",
    "create_brand",
    "create_category",
    "create_product",
    "create_variant",
    "delete_brand",
    "delete_category",
    "delete_image",
    "delete_product",
    "delete_tax_rate",
    "delete_variant",
    "gtin_is_valid",
    "refresh_search_vectors",
    "set_categories_active",
    "set_products_active",
    "set_variants_active",
    "update_brand",
    "update_category",
    "update_image",
    "update_product",
    "update_tax_rate",
    "update_variant",
]
