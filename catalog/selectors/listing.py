"""The product listing's pages: each product as the JSON text DRF's JSONRenderer writes for its
row in the shape ProductListSerializer documents (the API's list items), built without a model
instance, a serializer or a Python dict per product.

On PostgreSQL a page is one statement whose SQL text depends only on which filters are set and
the page size, never on the filter values, so it is bound on the server and prepared once per
connection (core.db.statements: PostgreSQL neither parses nor plans it again): it counts the
matching products (the pagination's COUNT, a scan of its own: no COUNT(*) OVER (), see
docs/decisions/0072) and writes the page's products, with their active variants, cheapest price
and first image, in the listing's order. Money is PostgreSQL's numeric output (two places, as
`amount_text`), quantities are trimmed of trailing zeros (as `quantity_text`); only each
product's attributes are written by Python. A search first counts the word matches and only when
there are none (and the words are long enough) counts the names that look alike, as
`search_products` decides with its `exists()`: a second statement for a typo only.

The embedded SQLite run keeps the ORM's queries (`search_products`, and `listing_values`,
`listing_relations` and `listing_rows` in listing_orm). tests/catalog/test_listing_parity.py holds both to the
serializer, byte for byte, over every filter, sort and page.
"""

import functools
import json
import string
from dataclasses import dataclass, replace
from typing import Any, Protocol

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from psycopg.types.numeric import Int8

from catalog.models import Brand, Category, Product, ProductImage, Variant
from catalog.selectors import TRIGRAM_THRESHOLD, ProductFilters, attribute_candidates, prefix_tsquery, search_products
from catalog.selectors.listing_orm import listing_rows, listing_values
from core.db.statements import statement_cursor


class ListingResults(Protocol):
    """What a Django paginator needs: the number of products and a page by slice, each product
    as the JSON text JSONRenderer writes for its listing row."""

    def count(self) -> int: ...

    def __getitem__(self, page: slice) -> list[str]: ...


def product_listing(filters: ProductFilters, expected: slice | None = None) -> ListingResults:
    """The visible products matching the filters, in the requested order, as listing rows.
    `expected`: the slice the caller's paginator will take after counting (a hint: on
    PostgreSQL the count and that page are then read in one round trip)."""
    if connection.vendor == "postgresql":
        return _ListingStatements(filters, expected)
    return _ListingQueries(listing_values(search_products(filters)))


# --- PostgreSQL: one prepared statement per page -------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """Which filters are set (not their values): one SQL text per shape."""

    category: bool
    brands: bool
    price_min: bool
    price_max: bool
    attributes: tuple[int, ...]  # the number of candidate documents of each attribute filter
    search: str  # "" (no words), "match" (full-text), "similar" (trigram fallback)
    prefix: bool  # whether the words give a prefix query too
    sort: str


@dataclass(frozen=True)
class _Statements:
    count: str  # the number of matching products
    page: str  # NULL and the page's products (see _PAGE; NULL: none)
    count_and_page: str  # the count and the page's products, in one round trip
    # (the page's size is left as %(limit)s: see _page_statement)


# The page's products are chosen (sorted, limited) on narrow rows first; their columns, variants
# and first image are then read for those few alone. Each product is written as the JSON text
# DRF's JSONRenderer writes for its listing row (compact, keys in order, strings escaped by
# PostgreSQL's to_json as Python's json module does, money and quantities as their text), except
# its attributes, which Python writes (a jsonb number such as 1.10 must come out as Python's
# 1.1): between chr(1) marks. Products are separated by chr(2); neither can occur in JSON text.
_PAGE = string.Template("""
WITH page AS (
    SELECT $page_columns FROM $matching ORDER BY $order LIMIT %(limit)s OFFSET %(offset)s
), first_image AS (
    SELECT DISTINCT ON (i.product_id) i.product_id,
        '{"url":' || to_json(i.url) || ',"alt_text":' || to_json(i.alt_text) || '}' AS image
    FROM $image i WHERE i.product_id IN (SELECT id FROM page) ORDER BY i.product_id, i.position, i.id
)
SELECT $select (
    SELECT string_agg(
        '{"id":' || p.id || ',"slug":' || to_json(p.slug) || ',"name":' || to_json(p.name)
        || ',"brand":' || CASE WHEN b.id IS NULL THEN 'null'
            ELSE '{"id":' || b.id || ',"name":' || to_json(b.name) || ',"slug":' || to_json(b.slug) || '}' END
        || ',"category":{"id":' || c.id || ',"name":' || to_json(c.name) || ',"slug":' || to_json(c.slug)
        || '},"image":' || coalesce(first_image.image, 'null')
        || ',"attributes":' || chr(1) || p.attributes::text || chr(1)
        || ',"price_from":' || coalesce('"' || v.price_from || '"', 'null')
        || ',"currency":' || coalesce(to_json(v.currency)::text, 'null')
        || ',"variants":[' || coalesce(v.variants, '') || ']}',
        chr(2) ORDER BY $page_order)
    FROM page
    JOIN $product p ON p.id = page.id
    JOIN $category c ON c.id = p.category_id
    LEFT JOIN $brand b ON b.id = p.brand_id
    LEFT JOIN first_image ON first_image.product_id = p.id
    CROSS JOIN LATERAL (
        SELECT string_agg(
                '{"id":' || u.id || ',"sku":' || to_json(u.sku)
                || ',"barcode":' || coalesce(to_json(u.barcode)::text, 'null') || ',"name":' || to_json(u.name)
                || ',"price":"' || u.price
                || '","compare_at_price":' || coalesce('"' || u.compare_at_price || '"', 'null')
                || ',"currency":' || to_json(u.currency) || ',"unit":' || to_json(u.unit)
                || ',"step":"' || trim_scale(u.step)
                || '","weight_kg":' || coalesce('"' || trim_scale(u.weight_kg) || '"', 'null') || '}',
                ',' ORDER BY u.position, u.id) AS variants,
            (array_agg(u.price ORDER BY u.price, u.id))[1]::text AS price_from,
            (array_agg(u.currency ORDER BY u.price, u.id))[1] AS currency
        FROM $variant u WHERE u.product_id = p.id AND u.is_active
    ) v
) $end
""")

# What DRF's JSONRenderer writes (compact, UTF-8 as is, no NaN), for values json.loads made.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _escaped(text: str) -> str:
    """U+2028 and U+2029 escaped, as JSONRenderer does (JavaScript reads them as line ends)."""
    if "\u2028" in text or "\u2029" in text:
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def row_json(row: Any) -> str:
    """A listing row as JSONRenderer writes it."""
    return _escaped(_encode(row))


@functools.lru_cache(maxsize=4096)
def _attributes_json(text: str) -> str:
    """A product's attributes, from jsonb's text, as JSONRenderer writes them: remembered, as
    products share a few sets of attributes and this is most of a page's Python."""
    return _encode(json.loads(text))


def _product_json(text: str) -> str:
    head, attributes, tail = text.split("\x01")
    return _escaped(head + _attributes_json(attributes) + tail)


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.lru_cache(maxsize=512)
def _statements(shape: _Shape) -> _Statements:
    variant = _table(Variant)
    active = f"SELECT 1 FROM {variant} u WHERE u.is_active AND u.product_id = p.id"  # noqa: S608
    cheapest = f"SELECT min(u.price) FROM {variant} u WHERE u.is_active AND u.product_id = p.id"  # noqa: S608
    tsquery = "websearch_to_tsquery(%(config)s::regconfig, %(q)s)"
    if shape.prefix:
        tsquery = f"({tsquery} || to_tsquery(%(config)s::regconfig, %(prefix)s))"

    where = ["c.is_active", "p.is_active", f"EXISTS ({active})"]
    if shape.category:
        where.append("c.path::text LIKE %(path)s")
    if shape.brands:
        where.append("b.slug = ANY(%(brands)s::text[])")
    if shape.price_min or shape.price_max:
        bounds = ["u.price >= %(price_min)s"] * shape.price_min + ["u.price <= %(price_max)s"] * shape.price_max
        where.append(f"EXISTS ({active} AND {' AND '.join(bounds)})")
    for n, size in enumerate(shape.attributes):
        where.append("(" + " OR ".join(f"p.attributes @> %(attr_{n}_{m})s::jsonb" for m in range(size)) + ")")
    rank = ""
    if shape.search == "match":
        where.append(f"p.search_vector @@ {tsquery}")
        rank = f"ts_rank(p.search_vector, {tsquery})"
    elif shape.search == "similar":
        where.append(f"word_similarity(%(q)s, p.name) >= {TRIGRAM_THRESHOLD!r}")
        rank = "word_similarity(%(q)s, p.name)"

    columns = ["p.id", "p.name"]  # and the sort keys, under the names `order` uses
    if shape.sort in ("price", "-price"):
        columns.append(f"({cheapest}) AS price_from")
        order = ["price_from DESC" if shape.sort == "-price" else "price_from", "name", "id"]
    elif shape.sort == "relevance" and rank:
        columns += [f"{rank} AS rank", "similarity(p.name, %(q)s) AS closeness"]
        order = ["rank DESC", "closeness DESC", "name", "id"]
    elif shape.sort == "newest":
        columns.append("p.created_at")
        order = ["created_at DESC", "id"]
    else:
        order = ["name DESC" if shape.sort == "-name" else "name", "id"]

    products = f"{_table(Product)} p JOIN {_table(Category)} c ON c.id = p.category_id"
    if shape.brands:
        products += f" LEFT JOIN {_table(Brand)} b ON b.id = p.brand_id"
    matching = f"{products} WHERE {' AND '.join(where)}"
    count = f"SELECT count(*) AS n FROM {matching}"  # noqa: S608
    page = {
        "page_columns": ", ".join(columns),
        "matching": matching,
        "order": ", ".join(order),
        "page_order": ", ".join(f"page.{key}" for key in order),
        "product": _table(Product),
        "category": _table(Category),
        "brand": _table(Brand),
        "image": _table(ProductImage),
        "variant": variant,
    }
    # Counting too, the page is read only when it is not past the end (a 404): a CTE nobody
    # scans is not run, so a far page number costs no sort of every match.
    counted = {"select": "counted.n, CASE WHEN counted.n > %(offset)s THEN", "end": f"END FROM ({count}) counted"}
    return _Statements(
        count=f"{count}",
        page=" ".join(_PAGE.substitute(page, select="NULL,", end="").split()),
        count_and_page=" ".join(_PAGE.substitute(page, **counted).split()),
    )


@functools.lru_cache(maxsize=1024)
def _page_statement(shape: _Shape, size: int, counted: bool) -> str:
    """The page statement for pages of `size`, counting too or not. The size is written into the
    text, not bound: a generic plan then knows the page is a few rows (a bound LIMIT is planned
    as a tenth of the catalog), and sizes are few (the default and a handful of others)."""
    statements = _statements(shape)
    return (statements.count_and_page if counted else statements.page).replace("%(limit)s", str(int(size)))


class _ListingStatements:
    """The listing on PostgreSQL. `expected` is the slice the paginator will ask for: counting
    reads it in the same round trip."""

    def __init__(self, filters: ProductFilters, expected: slice | None) -> None:
        self.filters = filters
        self.expected = expected
        prefix = prefix_tsquery(filters.q) if filters.q else None
        candidates = [attribute_candidates(key, value) for key, value in filters.attributes]
        self.params: dict[str, Any] = {}
        if filters.category is not None:
            self.params["path"] = connection.ops.prep_for_like_query(filters.category.path) + "%"
        if filters.brands:
            self.params["brands"] = list(filters.brands)
        if filters.price_min is not None:
            self.params["price_min"] = filters.price_min
        if filters.price_max is not None:
            self.params["price_max"] = filters.price_max
        for n, documents in enumerate(candidates):
            for m, document in enumerate(documents):
                self.params[f"attr_{n}_{m}"] = json.dumps(document)
        if filters.q:
            self.params |= {"config": settings.CATALOG_SEARCH_CONFIG, "q": filters.q}
            if prefix is not None:
                self.params["prefix"] = prefix
        self.shape = _Shape(
            category=filters.category is not None,
            brands=bool(filters.brands),
            price_min=filters.price_min is not None,
            price_max=filters.price_max is not None,
            attributes=tuple(len(documents) for documents in candidates),
            search="match" if filters.q else "",
            prefix=prefix is not None,
            sort=filters.sort or ("relevance" if filters.q else "name"),
        )
        self._count: int | None = None
        self._rows: list[str] | None = None  # the expected slice's

    def _run(self, statement: str, first: int | None = None) -> tuple[int | None, list[str]]:
        cursor = statement_cursor()  # kept on the connection: not closed here
        cursor.execute(statement, self.params if first is None else self.params | {"offset": Int8(first)})
        count, rows = cursor.fetchone()
        return count, [] if rows is None else [_product_json(text) for text in rows.split("\x02")]

    def _count_and_rows(self) -> tuple[int, list[str] | None]:
        expected = self.expected
        if expected is None:
            cursor = statement_cursor()
            cursor.execute(_statements(self.shape).count, self.params)
            return int(cursor.fetchone()[0]), None
        count, rows = self._run(_page_statement(self.shape, expected.stop - expected.start, True), expected.start)
        return count or 0, rows

    def count(self) -> int:
        if self._count is None:
            self._count, self._rows = self._count_and_rows()
            if self._count == 0 and self.shape.search == "match" and len(self.filters.q) >= 3:
                # No word matches: likely a typo ("bananna"); names that look alike instead.
                self.shape = replace(self.shape, search="similar")
                self._count, self._rows = self._count_and_rows()
        return self._count

    def __getitem__(self, page: slice) -> list[str]:
        count = self.count()  # settles the search (words or look-alike names) first
        start, stop = page.start or 0, count if page.stop is None else min(page.stop, count)
        if stop <= start:
            return []
        expected = self.expected
        if self._rows is not None and expected is not None and start == expected.start and stop <= expected.stop:
            return self._rows[: stop - start]
        return self._run(_page_statement(self.shape, stop - start, False), start)[1]


# --- The embedded SQLite run: the ORM, values-level (listing_orm) ---------------------------


class _ListingQueries:
    def __init__(self, products: QuerySet[Product, dict[str, Any]]) -> None:
        self.products = products

    def count(self) -> int:
        return self.products.count()

    def __getitem__(self, page: slice) -> list[str]:
        return [row_json(row) for row in listing_rows(list(self.products[page]))]
