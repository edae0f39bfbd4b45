"""Reads of the catalog: what customers may see, search, filters and sorting.

Full-text search runs on PostgreSQL (the stored, GIN-indexed search vector, ranked, with prefix
matching for search-as-you-type and a trigram fallback for typos); the embedded SQLite run matches
with LIKE instead. That vendor switch is the only difference between the two.
"""

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value

from catalog.models import Category, Product, ProductImage, TaxRate, Unit, Variant
from catalog.taxes import TaxClass
from core.db.statements import statement_cursor

# Attribute keys a filter may name; the same rule the services apply when attributes are written.
ATTRIBUTE_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
TRIGRAM_THRESHOLD = 0.3
SORTS = ("relevance", "name", "-name", "price", "-price", "newest")


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    category: Category | None = None
    brands: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    attributes: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    sort: str = ""


def active_variants() -> QuerySet[Variant]:
    return Variant.objects.filter(is_active=True).order_by("position", "id")


def visible_products() -> QuerySet[Product]:
    """Products a customer may see: active, in an active category, with something to sell."""
    return Product.objects.filter(is_active=True, category__is_active=True).filter(
        Exists(Variant.objects.filter(product=OuterRef("pk"), is_active=True))
    )


def with_listing_relations(products: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a listing or detail shows, in a fixed number of queries whatever the page size."""
    return products.select_related("brand", "category").prefetch_related(
        Prefetch("variants", queryset=active_variants(), to_attr="active_variants"),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
    )


def category_by_key(key: str) -> Category | None:
    """A category by id or slug."""
    lookup = Q(pk=int(key)) if key.isdigit() and len(key) < 19 else Q(slug=key)
    return Category.objects.filter(lookup).first()


def category_ancestors(category: Category) -> list[Category]:
    ids = [int(part) for part in category.path.strip("/").split("/") if part]
    by_id = Category.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def visible_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("depth", "position", "name")


def parse_attribute_filter(raw: str) -> tuple[str, Any]:
    """ "origin:ES" -> ("origin", "ES"); "organic:true" -> ("organic", True); ValueError if bad."""
    key, sep, text = raw.partition(":")
    if not sep or not ATTRIBUTE_KEY.fullmatch(key) or not text:
        raise ValueError("Use key:value with a lower-case key, e.g. origin:ES or organic:true.")
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if not isinstance(value, bool | int | float | str) or (isinstance(value, float) and not math.isfinite(value)):
        value = text  # 1e999 parses as infinity, which jsonb has no number for: compared as text
    return key, value


def attribute_candidates(key: str, value: Any) -> list[dict[str, Any]]:
    """The jsonb documents an attribute filter matches by containment (any of them; PostgreSQL):
    the value itself, inside a list attribute, or as text."""
    candidates: list[dict[str, Any]] = [{key: value}, {key: [value]}]
    if not isinstance(value, str):
        candidates += [{key: str(value).lower() if isinstance(value, bool) else str(value)}]
    return candidates


def _attribute_q(key: str, value: Any) -> Q:
    if connection.vendor == "postgresql":
        # jsonb containment uses the GIN index; also matches the value inside a list attribute.
        query = Q()
        for candidate in attribute_candidates(key, value):
            query |= Q(attributes__contains=candidate)
        return query
    return Q(**{f"attributes__{key}": value})


def prefix_tsquery(q: str) -> str | None:
    """Every word as a prefix ("bana" finds bananas), as raw tsquery text: letters and digits
    only, so the raw tsquery syntax can never be broken by what a customer types."""
    words = re.findall(r"[^\W_]+", q)[:8]
    if not words:
        return None
    return " & ".join(f"{word[:40]}:*" for word in words)


def _prefix_query(q: str) -> SearchQuery | None:
    raw = prefix_tsquery(q)
    return None if raw is None else SearchQuery(raw, search_type="raw", config=settings.CATALOG_SEARCH_CONFIG)


def _search_postgres(products: QuerySet[Product], q: str) -> QuerySet[Product]:
    query = SearchQuery(q, search_type="websearch", config=settings.CATALOG_SEARCH_CONFIG)
    prefix = _prefix_query(q)
    if prefix is not None:
        query = query | prefix
    matched = products.filter(search_vector=query)
    if matched.exists() or len(q) < 3:
        # Equal ranks (both names contain the word) go to the name closest to what was typed:
        # "Bananas" before "Banana bread" for "banana".
        return matched.annotate(rank=SearchRank(F("search_vector"), query), closeness=TrigramSimilarity("name", q))
    # Nothing matched word-wise: likely a typo ("bananna"); rank names by trigram similarity.
    return products.annotate(rank=TrigramWordSimilarity(q, "name"), closeness=TrigramSimilarity("name", q)).filter(
        rank__gte=TRIGRAM_THRESHOLD
    )


def _search_sqlite(products: QuerySet[Product], q: str) -> QuerySet[Product]:
    query = Q(name__icontains=q) | Q(brand__name__icontains=q) | Q(description__icontains=q)
    return products.filter(query).annotate(rank=Value(1.0), closeness=Value(1.0))


def search_products(filters: ProductFilters) -> QuerySet[Product]:
    """The visible products matching the filters, in the requested order (ties by id, so pages
    never repeat or skip a product)."""
    products = visible_products()
    if filters.category is not None:
        products = products.filter(category__path__startswith=filters.category.path)
    if filters.brands:
        products = products.filter(brand__slug__in=filters.brands)
    if filters.price_min is not None or filters.price_max is not None:
        in_range = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        if filters.price_min is not None:
            in_range = in_range.filter(price__gte=filters.price_min)
        if filters.price_max is not None:
            in_range = in_range.filter(price__lte=filters.price_max)
        products = products.filter(Exists(in_range))
    for key, value in filters.attributes:
        products = products.filter(_attribute_q(key, value))
    if filters.q:
        search = _search_postgres if connection.vendor == "postgresql" else _search_sqlite
        products = search(products, filters.q)

    sort = filters.sort or ("relevance" if filters.q else "name")
    if sort in ("price", "-price"):
        cheapest = active_variants().filter(product=OuterRef("pk")).order_by("price").values("price")[:1]
        products = products.annotate(price_from=Subquery(cheapest))
    order = {
        "relevance": ["-rank", "-closeness", "name"] if filters.q else ["name"],
        "name": ["name"],
        "-name": ["-name"],
        "price": ["price_from", "name"],
        "-price": ["-price_from", "name"],
        "newest": ["-created_at"],
    }[sort]
    return products.order_by(*order, "id")


def variant_by_id(variant_id: int) -> Variant | None:
    """Any variant, active or not (for staff)."""
    return Variant.objects.filter(pk=variant_id).first()


# --- variants for the apps that stock, reserve and sell them -----------------------------------


def variant_by_sku(sku: str) -> Variant | None:
    """Any variant, active or not, by its SKU."""
    return Variant.objects.filter(sku=sku).first()


def variants_by_ids(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Variants by id, active or not, in one query; ids that name no variant are absent."""
    return Variant.objects.in_bulk(list(variant_ids))


def variant_ids_and_units_by_sku(skus: Iterable[str]) -> dict[str, tuple[int, str]]:
    """SKU -> (variant id, unit) for the variants with these SKUs, active or not, in one query;
    unknown SKUs are absent."""
    return {
        sku: (pk, unit) for sku, pk, unit in Variant.objects.filter(sku__in=list(skus)).values_list("sku", "pk", "unit")
    }


def variants_by_sku_sql() -> str:
    """A SQL query of every variant's (id, sku, unit), active or not: for set-based work that
    joins SKUs in the database (stock imports) without naming the catalog's tables itself."""
    table = connection.ops.quote_name(Variant._meta.db_table)
    return f"SELECT id, sku, unit FROM {table}"  # noqa: S608


def variant_on_sale(variant_id: int) -> Variant | None:
    """The variant when it is sold now, with only its SKU and unit loaded; None otherwise."""
    return Variant.objects.filter(pk=variant_id, is_active=True).only("sku", "unit").first()


def variants_on_sale_by_id(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Id -> variant for those of the ids sold now, with only their SKU and unit loaded; one query."""
    return Variant.objects.filter(pk__in=list(variant_ids), is_active=True).only("sku", "unit").in_bulk()


def variants_sold_now() -> list[Variant]:
    """Every variant sold now, oldest first."""
    return list(Variant.objects.filter(is_active=True).order_by("pk"))


def product_for_detail(product_id: int) -> Product | None:
    return with_listing_relations(visible_products().filter(pk=product_id)).first()


# --- For orders: what a cart may hold, what a picker may substitute ----------------------------


def variants_on_sale() -> QuerySet[Variant]:
    """Variants a customer may put in a cart: active, of an active product, with the product."""
    return Variant.objects.select_related("product").filter(is_active=True, product__is_active=True)


def active_variant(variant_id: int) -> Variant | None:
    """An active variant with its product, whether or not the product is still listed."""
    return Variant.objects.select_related("product").filter(pk=variant_id, is_active=True).first()


def variants_by_sku(skus: Iterable[str]) -> dict[str, Variant]:
    """The variants (with their products) of these SKUs, by SKU; unknown SKUs are left out."""
    return {variant.sku: variant for variant in Variant.objects.select_related("product").filter(sku__in=list(skus))}


def counted_in_pieces(unit: str) -> bool:
    """Whether quantities in `unit` are whole pieces (else a weight or volume, to three decimals)."""
    return unit == Unit.PIECE


def tax_rates_on(country: str, day: date) -> dict[str, Decimal]:
    """The VAT rate of every tax class in `country` on `day` (one query). A class with no rate in
    force is taxed at 0% (as Saleor does): the admin's Tax rates list shows what is missing."""
    rates = {tax_class: Decimal("0.00") for tax_class in TaxClass.values}
    if connection.vendor == "postgresql":  # placement asks on every order: no ORM query to compile
        cursor = statement_cursor()  # prepared once per connection (core.db.statements)
        cursor.execute(_TAX_RATES_SQL, [country, day])
        rates.update(cursor.fetchall())
        return rates
    seen: set[str] = set()
    for tax_class, rate in (
        TaxRate.objects.filter(country=country, valid_from__lte=day)
        .order_by("tax_class", "-valid_from")
        .values_list("tax_class", "rate")
    ):
        if tax_class not in seen:
            seen.add(tax_class)
            rates[tax_class] = rate
    return rates


_TAX_RATES_SQL = (
    f"SELECT DISTINCT ON (tax_class) tax_class, rate FROM {connection.ops.quote_name(TaxRate._meta.db_table)} "  # noqa: S608
    "WHERE country = %s AND valid_from <= %s ORDER BY tax_class, valid_from DESC"
)
