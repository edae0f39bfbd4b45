"""Writes of the category tree and of brands."""

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from catalog.errors import BrandInUse, CategoryNotEmpty
from catalog.models import Brand, Category, Product
from catalog.services._common import (
    bump_versions,
    changed_catalog,
    check_fields,
    clean_slug,
    ensure_unique,
    locked,
    refresh_search_vectors,
    save,
    save_changes,
)
from core.errors import InvalidInput

CATEGORY_FIELDS = ("name", "slug", "description", "parent", "position", "is_active")
BRAND_FIELDS = ("name", "slug")
MAX_DEPTH = 8


def _clean_category(values: dict[str, Any], current: Category | None = None) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
        if not cleaned["name"]:
            raise InvalidInput(fields={"name": ["A category needs a name."]})
    if "slug" in cleaned or current is None:
        cleaned["slug"] = clean_slug(cleaned.get("slug", ""), cleaned.get("name", current.name if current else ""))
        ensure_unique(Category, "slug", cleaned["slug"], exclude_pk=current.pk if current else None)
    parent = cleaned.get("parent")
    if parent is not None:
        parent.refresh_from_db(fields=["path", "depth"])  # the caller's copy may predate a move
        if current is not None and (parent.pk == current.pk or parent.path.startswith(current.path)):
            raise InvalidInput(fields={"parent": ["A category cannot move under itself or its own sub-categories."]})
        if parent.depth + 1 >= MAX_DEPTH:
            raise InvalidInput(fields={"parent": [f"The tree is at most {MAX_DEPTH} levels deep."]})
    return cleaned


def create_category(values: dict[str, Any]) -> Category:
    check_fields(values, CATEGORY_FIELDS)
    with transaction.atomic():
        cleaned = _clean_category(values)
        parent = cleaned.get("parent")
        if parent is not None:
            parent = locked(Category, parent.pk, None)  # the path read below must not move meanwhile
        category = Category(**cleaned)
        category.depth = parent.depth + 1 if parent else 0
        category.path = ""
        save(category)
        category.path = f"{parent.path if parent else '/'}{category.pk}/"
        Category.objects.filter(pk=category.pk).update(path=category.path)
        changed_catalog()
    return category


def update_category(category_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> Category:
    """Moving a category (a new parent) moves its whole subtree: one UPDATE rewrites the paths."""
    check_fields(changes, CATEGORY_FIELDS)
    with transaction.atomic():
        if "parent" in changes:
            # Two concurrent moves can each look fine and together make a cycle (A under B's
            # subtree while B goes under A's), so moves lock the whole tree, in id order. The tree
            # is small and moves are rare.
            list(Category.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        category = locked(Category, category_id, expected_version)
        cleaned = _clean_category(changes, current=category)
        old_path, old_depth = category.path, category.depth
        changed = save_changes(category, cleaned)
        if "parent" in changed:
            parent = category.parent
            new_path = f"{parent.path if parent else '/'}{category.pk}/"
            delta = (parent.depth + 1 if parent else 0) - old_depth
            Category.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1)), depth=F("depth") + delta
            )
            category.refresh_from_db(fields=["path", "depth"])
        if "name" in changed:
            refresh_search_vectors(Product.objects.filter(category=category))
        if changed:
            changed_catalog()
    return category


def delete_category(category_id: int) -> None:
    with transaction.atomic():
        category = locked(Category, category_id, None)
        if category.children.exists() or Product.objects.filter(category=category).exists():
            raise CategoryNotEmpty()
        category.delete()
        changed_catalog()


def set_categories_active(category_ids: list[int], active: bool) -> int:
    with transaction.atomic():
        count = bump_versions(Category.objects.filter(pk__in=category_ids).exclude(is_active=active), is_active=active)
        if count:
            changed_catalog()
    return count


def _clean_brand(values: dict[str, Any], current: Brand | None = None) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
        if not cleaned["name"]:
            raise InvalidInput(fields={"name": ["A brand needs a name."]})
        ensure_unique(Brand, "name", cleaned["name"], exclude_pk=current.pk if current else None)
    if "slug" in cleaned or current is None:
        cleaned["slug"] = clean_slug(cleaned.get("slug", ""), cleaned.get("name", current.name if current else ""))
        ensure_unique(Brand, "slug", cleaned["slug"], exclude_pk=current.pk if current else None)
    return cleaned


def create_brand(values: dict[str, Any]) -> Brand:
    check_fields(values, BRAND_FIELDS)
    with transaction.atomic():
        brand = Brand(**_clean_brand(values))
        save(brand)
        changed_catalog()
    return brand


def update_brand(brand_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> Brand:
    check_fields(changes, BRAND_FIELDS)
    with transaction.atomic():
        brand = locked(Brand, brand_id, expected_version)
        changed = save_changes(brand, _clean_brand(changes, current=brand))
        if "name" in changed:
            refresh_search_vectors(Product.objects.filter(brand=brand))
        if changed:
            changed_catalog()
    return brand


def delete_brand(brand_id: int) -> None:
    with transaction.atomic():
        brand = locked(Brand, brand_id, None)
        if Product.objects.filter(brand=brand).exists():
            raise BrandInUse()
        brand.delete()
        changed_catalog()
