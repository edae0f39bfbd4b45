"""catalog.v1.CatalogService: the products customers see, for other systems. Thin over the catalog
selectors, with the REST listing's filter validation (ProductQuerySerializer) and its cache:
GetProduct keeps the serialized message in the catalog cache, dropped on every catalog change, and
sends a cached one as the cached bytes (no message is built or parsed on a hit): the page this
process holds when its watch of the catalog generation says it is current (no round trip to Redis,
docs/decisions/0093), else read along with the rate limit's lease or read from Redis."""

from decimal import Decimal
from typing import Any

import grpc
from django.db.models import QuerySet

from catalog import selectors
from catalog.api.serializers import ProductQuerySerializer
from catalog.cache import cached_body, cached_hit, read_along_keys, watched_hit
from catalog.models import Product, Variant
from core import errors
from core.grpc import calls, pages
from core.grpc.calls import validated
from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from proto.common.v1.types_pb2 import Money

MAX_BATCH = 100
# The REST query parameter each ProductFilter field is validated as, and back for field violations.
FIELD_PATHS = {
    "q": "query",
    "category": "filter.category",
    "brand": "filter.brands",
    "price_min": "filter.price_min",
    "price_max": "filter.price_max",
    "attr": "filter.attributes",
    "sort": "sort",
}


class ProductNotFound(errors.NotFound):
    code = "product_not_found"
    default_message = "There is no such product."


def money(amount: Decimal, currency: str) -> Money:
    return Money(currency=currency, amount=f"{amount:.2f}")


def decimal_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def variant_message(variant: Variant) -> catalog_pb2.Variant:
    message = catalog_pb2.Variant(
        id=variant.pk,
        sku=variant.sku,
        barcode=variant.barcode or "",
        name=variant.name,
        price=money(variant.price, variant.currency),
        unit=variant.unit,
        step=decimal_text(variant.step),
        weight_kg=decimal_text(variant.weight_kg),
    )
    if variant.compare_at_price is not None:
        message.compare_at_price.CopyFrom(money(variant.compare_at_price, variant.currency))
    return message


def product_message(product: Product, *, detail: bool) -> catalog_pb2.Product:
    """A product of `with_listing_relations` (its variants and images prefetched)."""
    variants: list[Variant] = getattr(product, "active_variants", [])
    message = catalog_pb2.Product(
        id=product.pk,
        slug=product.slug,
        name=product.name,
        category=catalog_pb2.CategoryRef(
            id=product.category.pk, name=product.category.name, slug=product.category.slug
        ),
        images=[catalog_pb2.Image(url=image.url, alt_text=image.alt_text) for image in product.images.all()],
        variants=[variant_message(variant) for variant in variants],
    )
    if product.brand is not None:
        message.brand.CopyFrom(catalog_pb2.Brand(id=product.brand.pk, name=product.brand.name, slug=product.brand.slug))
    message.attributes.update(product.attributes or {})
    cheapest = min(variants, key=lambda v: (v.price, v.pk), default=None)
    if cheapest is not None:
        message.price_from.CopyFrom(money(cheapest.price, cheapest.currency))
    if detail:
        message.description = product.description
        message.breadcrumbs.extend(
            catalog_pb2.CategoryRef(id=c.pk, name=c.name, slug=c.slug)
            for c in selectors.category_ancestors(product.category)
        )
    return message


def _filters(query: str, product_filter: catalog_pb2.ProductFilter, sort: str) -> selectors.ProductFilters:
    data: dict[str, Any] = {"q": query}
    if product_filter.category:
        data["category"] = product_filter.category
    if product_filter.brands:
        data["brand"] = ",".join(product_filter.brands)
    for name in ("price_min", "price_max"):
        if getattr(product_filter, name):
            data[name] = getattr(product_filter, name)
    if product_filter.attributes:
        data["attr"] = list(product_filter.attributes)
    if sort:
        data["sort"] = sort
    params = validated(ProductQuerySerializer, data, FIELD_PATHS)
    category = None
    if params.get("category"):
        category = selectors.category_by_key(params["category"])
        if category is None:
            raise errors.InvalidInput(fields={"filter.category": ["There is no such category."]})
    return selectors.ProductFilters(
        q=params.get("q", "").strip(),
        category=category,
        brands=tuple(params.get("brand", ())),
        price_min=params.get("price_min"),
        price_max=params.get("price_max"),
        attributes=tuple(params.get("attr", ())),
        sort=params.get("sort", ""),
    )


def _page(filters: selectors.ProductFilters, page_size: int, page_token: str) -> catalog_pb2.ListProductsResponse:
    products: QuerySet[Product] = selectors.with_listing_relations(selectors.search_products(filters))
    scope = [
        "products",
        filters.q,
        filters.category.pk if filters.category else None,
        sorted(filters.brands),
        filters.price_min,
        filters.price_max,
        sorted(map(str, filters.attributes)),
        filters.sort,
    ]
    page = pages.paginate(products, page_size=page_size, page_token=page_token, scope=scope)
    return catalog_pb2.ListProductsResponse(
        products=[product_message(p, detail=False) for p in page.items],
        next_page_token=page.next_page_token,
        total_size=page.total_size,
    )


def _product_entry(request: catalog_pb2.GetProductRequest) -> tuple[str, list[str]]:
    """GetProduct's catalog cache entry: the serialized Product."""
    return "grpc-product", [str(request.product_id)]


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def GetProduct(self, request: catalog_pb2.GetProductRequest, context: grpc.ServicerContext) -> bytes:
        """The serialized Product (the server sends bytes as they are)."""

        def build() -> bytes:
            product = selectors.product_for_detail(request.product_id)
            if product is None:
                raise ProductNotFound(f"There is no product {request.product_id}.")
            return product_message(product, detail=True).SerializeToString()

        entry = _product_entry(request)
        read_along = calls.caller().read_along
        # Read along with a lease of the rate limit, a hit needs nothing more; otherwise the page
        # this process holds, if the generation it watches says it is current.
        hit = cached_hit(*entry, read_along) if read_along is not None else watched_hit(*entry)
        if hit is not None:
            return hit
        body, _ = cached_body(*entry, build, read_along, keep=True)
        return body

    def BatchGetProducts(
        self, request: catalog_pb2.BatchGetProductsRequest, context: grpc.ServicerContext
    ) -> catalog_pb2.BatchGetProductsResponse:
        wanted = list(dict.fromkeys(request.product_ids))
        if len(wanted) > MAX_BATCH:
            raise errors.InvalidInput(fields={"product_ids": [f"At most {MAX_BATCH} ids."]})
        found = {p.pk: p for p in selectors.with_listing_relations(selectors.visible_products().filter(pk__in=wanted))}
        return catalog_pb2.BatchGetProductsResponse(
            products=[product_message(found[pk], detail=True) for pk in wanted if pk in found],
            missing_ids=[pk for pk in wanted if pk not in found],
        )

    def ListProducts(
        self, request: catalog_pb2.ListProductsRequest, context: grpc.ServicerContext
    ) -> catalog_pb2.ListProductsResponse:
        if request.sort == "relevance":
            raise errors.InvalidInput(fields={"sort": ["Relevance needs a query: use SearchProducts."]})
        return _page(_filters("", request.filter, request.sort), request.page_size, request.page_token)

    def SearchProducts(
        self, request: catalog_pb2.SearchProductsRequest, context: grpc.ServicerContext
    ) -> catalog_pb2.ListProductsResponse:
        if not request.query.strip():
            raise errors.InvalidInput(fields={"query": ["Words to search for are required."]})
        return _page(_filters(request.query, request.filter, request.sort), request.page_size, request.page_token)


def register(server: grpc.Server) -> list[str]:
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(), server)
    service = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
    calls.read_along_on(f"/{service}/GetProduct", lambda request: read_along_keys(*_product_entry(request)))
    return [service]
