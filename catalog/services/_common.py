"""What every catalog write shares: locking with optimistic versions, the rules a value must
follow, and the two side effects of any change (search vectors, cache invalidation)."""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import slugify

from catalog import cache
from catalog.models import Brand, Category, Product
from catalog.selectors import ATTRIBUTE_KEY
from core.errors import InvalidInput, NotFound, StaleVersion
from core.money import InvalidAmount, parse_amount, shop_currencies

M = TypeVar("M", bound=models.Model)

SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def check_fields(values: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InvalidInput(fields={name: ["This field cannot be set here."] for name in unknown})


def locked(model: type[M], pk: int, expected_version: int | None) -> M:
    """The row, locked for this transaction; StaleVersion if the caller edited an older version."""
    obj = model._default_manager.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"There is no such {model._meta.verbose_name}.")
    version = getattr(obj, "version", None)
    if expected_version is not None and version is not None and version != expected_version:
        raise StaleVersion(current_version=version)
    return obj


def save_changes(obj: models.Model, changes: dict[str, Any]) -> list[str]:
    """Apply the changes that really change something; bump version and updated_at. Returns the
    names of the changed fields (empty: nothing was written)."""
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(obj, name, changes[name])
    extra = []
    if hasattr(obj, "version"):
        obj.version += 1  # the row is locked, so += cannot lose an update
        extra.append("version")
    if hasattr(obj, "updated_at"):
        obj.updated_at = timezone.now()
        extra.append("updated_at")
    save(obj, update_fields=[*(_field_name(obj, n) for n in changed), *extra])
    return changed


def _field_name(obj: models.Model, name: str) -> str:
    return obj._meta.get_field(name).name


def save(obj: models.Model, **kwargs: Any) -> None:
    """Save; a constraint the checks above did not foresee (a concurrent insert of the same SKU)
    becomes a 400 naming the constraint, never a 500."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        raise InvalidInput(
            f"The change conflicts with the catalog's rules or another change: {_constraint(exc)}",
            code="constraint_violated",
        ) from None


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or str(exc).splitlines()[0]


def bump_versions(rows: QuerySet[Any], **values: Any) -> int:
    """One UPDATE for bulk changes (activate/deactivate), bumping every row's version."""
    return rows.update(**values, version=F("version") + 1, updated_at=timezone.now())


def changed_catalog() -> None:
    """Every catalog write calls this inside its transaction: cached pages go when it commits."""
    cache.invalidate_on_commit()


# --- rules --------------------------------------------------------------------------------------


def clean_slug(value: str, fallback_from: str) -> str:
    slug = (value or "").strip() or slugify(fallback_from)[:140]
    if not SLUG.fullmatch(slug):
        raise InvalidInput(fields={"slug": ["Use letters, digits, hyphens and underscores only."]})
    return slug


def ensure_unique(model: type[models.Model], field: str, value: Any, *, exclude_pk: int | None = None) -> None:
    if value in (None, ""):
        return
    rows = model._default_manager.filter(**{field: value})
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    if rows.exists():
        raise InvalidInput(
            fields={field: [f"Another {model._meta.verbose_name} has this {field} already."]}, code=f"{field}_taken"
        )


def clean_attributes(value: Any) -> dict[str, Any]:
    """Attributes are a flat object of lower-case keys to scalars or lists of scalars, so that
    filters can name them."""
    if not isinstance(value, dict):
        raise InvalidInput(fields={"attributes": ['Must be an object, e.g. {"origin": "ES"}.']})
    problems = []
    for key, item in value.items():
        if not isinstance(key, str) or not ATTRIBUTE_KEY.fullmatch(key):
            problems.append(f"{key!r}: keys are lower-case letters, digits and _ (at most 40).")
        scalars = item if isinstance(item, list) else [item]
        if not all(isinstance(s, str | int | float | bool) for s in scalars):
            problems.append(f"{key!r}: values are text, numbers, true/false, or lists of those.")
    if problems:
        raise InvalidInput(fields={"attributes": problems})
    return value


def gtin_is_valid(code: str) -> bool:
    """GTIN-8/12/13/14 (EAN, UPC) with a correct check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(d) for d in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def clean_money(value: Any, field: str) -> Decimal:
    """A price: a Decimal (what forms and serializers give) in whole cents, not negative."""
    try:
        amount = parse_amount(value) if isinstance(value, Decimal) else None
    except InvalidAmount:
        amount = None
    if amount is None or amount < 0:
        raise InvalidInput(fields={field: ["Must be an amount of at least 0 with at most two decimals."]})
    return amount


def clean_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in shop_currencies():
        raise InvalidInput(fields={"currency": [f"The shop sells in {', '.join(shop_currencies())}."]})
    return code


# --- search -------------------------------------------------------------------------------------


def refresh_search_vectors(products: QuerySet[Product]) -> None:
    """Recompute the stored search vectors: name (A) > brand (B) > category (C) > description
    (D). PostgreSQL only; the embedded SQLite run searches without them."""
    if connection.vendor != "postgresql":
        return
    config = settings.CATALOG_SEARCH_CONFIG
    brand = Subquery(Brand.objects.filter(pk=OuterRef("brand_id")).values("name")[:1])
    category = Subquery(Category.objects.filter(pk=OuterRef("category_id")).values("name")[:1])
    products.update(
        search_vector=SearchVector("name", weight="A", config=config)
        + SearchVector(brand, weight="B", config=config)
        + SearchVector(category, weight="C", config=config)
        + SearchVector("description", weight="D", config=config)
    )
