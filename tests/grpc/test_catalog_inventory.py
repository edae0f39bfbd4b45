"""CatalogService and InventoryService over a real channel, against the test database."""

from decimal import Decimal
from typing import Any

import grpc
import pytest

from catalog import grpc as catalog_grpc
from catalog import services as catalog_services
from catalog.models import Brand
from inventory.models import StockItem
from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from proto.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from tests.api.support import count_round_trips, with_user_rate
from tests.grpc.support import bearer, failure
from tests.orders.helpers import WAREHOUSE, make_customer, make_staff, make_variant

pytestmark = pytest.mark.django_db(transaction=True)


def test_products_read_list_search_and_refuse_bad_filters(channel: grpc.Channel) -> None:
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    milk = make_variant("Oat milk 1 l", "1.20")
    bananas = make_variant("Bananas", "2.99", unit="kg", step="0.1")
    brand = Brand.objects.create(name="Fjord", slug="fjord")
    milk.product.brand = brand
    milk.product.attributes = {"organic": True}
    milk.product.save()

    product, call = catalog.GetProduct.with_call(catalog_pb2.GetProductRequest(product_id=milk.product_id), timeout=5)
    assert (product.name, product.brand.slug, product.price_from.amount) == ("Oat milk 1 l", "fjord", "1.20")
    assert product.variants[0].sku == milk.sku and product.attributes["organic"] is True
    assert [c.slug for c in product.breadcrumbs] == [] and product.category.slug == "orders-tests"
    assert dict(call.initial_metadata())["x-request-id"]

    batch = catalog.BatchGetProducts(
        catalog_pb2.BatchGetProductsRequest(product_ids=[bananas.product_id, 999999, milk.product_id]), timeout=5
    )
    assert [p.id for p in batch.products] == [bananas.product_id, milk.product_id]
    assert list(batch.missing_ids) == [999999]

    first = catalog.ListProducts(catalog_pb2.ListProductsRequest(page_size=1, sort="-name"), timeout=5)
    assert [p.name for p in first.products] == ["Oat milk 1 l"] and first.total_size == 2 and first.next_page_token
    second = catalog.ListProducts(
        catalog_pb2.ListProductsRequest(page_size=1, sort="-name", page_token=first.next_page_token), timeout=5
    )
    assert [p.name for p in second.products] == ["Bananas"] and not second.next_page_token
    branded = catalog.ListProducts(
        catalog_pb2.ListProductsRequest(
            filter=catalog_pb2.ProductFilter(brands=["fjord"], attributes=["organic:true"])
        ),
        timeout=5,
    )
    assert [p.id for p in branded.products] == [milk.product_id]
    found = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query="banan"), timeout=5)
    assert [p.id for p in found.products] == [bananas.product_id]
    # A client that sets no deadline (grpcurl without -max-time) is served too: no statement bound.
    endless = catalog.ListProducts(catalog_pb2.ListProductsRequest(page_size=1, sort="-name"))
    assert [p.name for p in endless.products] == ["Oat milk 1 l"]

    missing = failure(catalog.GetProduct, catalog_pb2.GetProductRequest(product_id=999999))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "product_not_found")
    bad = failure(
        catalog.ListProducts,
        catalog_pb2.ListProductsRequest(filter=catalog_pb2.ProductFilter(price_min="cheap", attributes=["Origin"])),
    )
    assert (bad.code, bad.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid")
    assert set(bad.fields) == {"filter.price_min", "filter.attributes"}
    other_query = failure(
        catalog.ListProducts,
        catalog_pb2.ListProductsRequest(page_size=1, sort="name", page_token=first.next_page_token),
    )
    assert (other_query.code, other_query.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid_page_token")
    assert failure(catalog.SearchProducts, catalog_pb2.SearchProductsRequest()).fields == {
        "query": ["Words to search for are required."]
    }


def test_availability_and_stock_writes_with_roles_idempotency_and_versions(channel: grpc.Channel) -> None:
    inventory = inventory_pb2_grpc.InventoryServiceStub(channel)
    milk = make_variant("Milk", "1.20", stock="12")
    bread = make_variant("Bread", "2.50", stock="")

    one = inventory.GetAvailability(inventory_pb2.GetAvailabilityRequest(variant_id=milk.pk), timeout=5)
    assert (one.available.value, one.available.unit, one.in_stock) == ("12", "piece", True)
    assert [(w.warehouse_code, w.available.value) for w in one.warehouses] == [(WAREHOUSE, "12")]
    batch = inventory.BatchGetAvailability(
        inventory_pb2.BatchGetAvailabilityRequest(variant_ids=[bread.pk, milk.pk, 999999], warehouse_code=WAREHOUSE),
        timeout=5,
    )
    assert [(a.sku, a.available.value, a.in_stock) for a in batch.availabilities] == [
        (bread.sku, "0", False),
        (milk.sku, "12", True),
    ]
    assert list(batch.missing_ids) == [999999]
    unknown = failure(
        inventory.GetAvailability, inventory_pb2.GetAvailabilityRequest(variant_id=milk.pk, warehouse_code="nowhere")
    )
    assert (unknown.code, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "warehouse_not_found")

    target = inventory_pb2.ItemTarget(warehouse_code=WAREHOUSE, variant_id=bread.pk)
    receipt = inventory_pb2.ReceiveStockRequest(idempotency_key="delivery-note-1", target=target, quantity="5")
    anonymous = failure(inventory.ReceiveStock, receipt)
    assert (anonymous.code, anonymous.reason) == (grpc.StatusCode.UNAUTHENTICATED, "not_authenticated")
    wrong = failure(inventory.ReceiveStock, receipt, metadata=(("authorization", "Bearer not-a-token"),))
    assert (wrong.code, wrong.reason) == (grpc.StatusCode.UNAUTHENTICATED, "authentication_failed")
    customer = failure(inventory.ReceiveStock, receipt, metadata=bearer(make_customer()[0]))
    assert (customer.code, customer.reason) == (grpc.StatusCode.PERMISSION_DENIED, "permission_denied")

    staff = bearer(make_staff("Warehouse", "inventory"))
    received = inventory.ReceiveStock(receipt, metadata=staff, timeout=5)
    assert (received.sku, received.on_hand.value, received.version) == (bread.sku, "5", 2)
    assert inventory.ReceiveStock(receipt, metadata=staff, timeout=5) == received  # replayed, not applied twice
    assert StockItem.objects.get(pk=received.id).on_hand == 5
    reused = failure(
        inventory.ReceiveStock,
        inventory_pb2.ReceiveStockRequest(idempotency_key="delivery-note-1", target=target, quantity="6"),
        metadata=staff,
    )
    assert (reused.code, reused.reason) == (grpc.StatusCode.ALREADY_EXISTS, "idempotency_key_reused")
    no_key = failure(
        inventory.ReceiveStock, inventory_pb2.ReceiveStockRequest(target=target, quantity="1"), metadata=staff
    )
    assert (no_key.code, no_key.reason, list(no_key.fields)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "idempotency_key_required",
        ["idempotency_key"],
    )

    counted = inventory.AdjustStock(
        inventory_pb2.AdjustStockRequest(
            idempotency_key="count-1", target=target, version=2, on_hand="3", reference="count sheet 7"
        ),
        metadata=staff,
        timeout=5,
    )
    assert (counted.on_hand.value, counted.version) == ("3", 3)
    stale = failure(
        inventory.AdjustStock,
        inventory_pb2.AdjustStockRequest(idempotency_key="count-2", target=target, version=2, delta="-1"),
        metadata=staff,
    )
    assert (stale.code, stale.reason, stale.metadata) == (
        grpc.StatusCode.ABORTED,
        "stale_version",
        {"current_version": "3"},
    )
    late = failure(
        inventory.ReceiveStock,
        inventory_pb2.ReceiveStockRequest(
            idempotency_key="delivery-note-2", target=target, quantity="1", expected_version=2
        ),
        metadata=staff,
    )
    assert (late.code, late.reason) == (grpc.StatusCode.ABORTED, "stale_version")
    invalid = failure(
        inventory.AdjustStock,
        inventory_pb2.AdjustStockRequest(
            idempotency_key="count-3", target=inventory_pb2.ItemTarget(warehouse_code=WAREHOUSE), version=3
        ),
        metadata=staff,
    )
    assert invalid.code == grpc.StatusCode.INVALID_ARGUMENT and "target.variant_id" in invalid.fields


def test_a_cached_product_follows_a_committed_price_change_within_the_callers_rate_limit(
    channel: grpc.Channel, settings: object
) -> None:
    with_user_rate(settings, "4/min")
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    milk = make_variant("Oat milk 1 l", "1.20")
    signed_in = bearer(make_customer()[0])
    request = catalog_pb2.GetProductRequest(product_id=milk.product_id)

    def price() -> str:
        return catalog.GetProduct(request, metadata=signed_in, timeout=5).variants[0].price.amount

    assert [price(), price()] == ["1.20", "1.20"]  # built, then from the cache
    catalog_services.update_variant(milk.pk, {"price": Decimal("1.50")})
    assert [price(), price()] == ["1.50", "1.50"]
    limited = failure(catalog.GetProduct, request, metadata=signed_in)
    assert (limited.code, limited.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "rate_limited")


def test_a_cached_product_needs_no_round_trip_to_redis_and_still_follows_every_price_change(
    channel: grpc.Channel, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_user_rate(settings, "6400/min")
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    milk = make_variant("Oat milk 1 l", "1.20")
    signed_in = bearer(make_customer()[0])
    request = catalog_pb2.GetProductRequest(product_id=milk.product_id)
    leases = count_round_trips(monkeypatch)
    reads: list[int] = []
    read = catalog_grpc.cached_body

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(catalog_grpc, "cached_body", counted_read)

    def price() -> str:
        return catalog.GetProduct(request, metadata=signed_in, timeout=5).variants[0].price.amount

    assert {price() for _ in range(50)} == {"1.20"}
    # One lease of 64 calls counted in Redis, one build: the other 49 calls made no round trip.
    assert (len(leases), len(reads)) == (1, 1)
    for cents in range(121, 131):  # each change is served by the very next call
        catalog_services.update_variant(milk.pk, {"price": Decimal(cents) / 100})
        assert price() == f"{Decimal(cents) / 100:.2f}"
    assert (len(leases), len(reads)) == (1, 11)
