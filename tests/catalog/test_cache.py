"""The listing and detail responses are cached in Redis and dropped the moment a catalog change
commits: the next response after a price change shows the new price.

These tests commit for real (`transaction=True`), because invalidation happens on commit."""

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from catalog import cache as cache_module
from catalog import services
from catalog.cache import GENERATION_KEY, current_generation
from tests.api.support import api
from tests.catalog import factories

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = "/api/v1/catalog/products/"


def prices(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.content[:300]
    return {item["name"]: item["variants"][0]["price"] for item in response.json()["results"]}


def test_repeated_requests_are_served_from_the_cache_without_touching_the_database() -> None:
    fruit = factories.category()
    factories.product("Apples", fruit, price="2.00")
    client = api()

    outcomes = []
    for _ in range(10):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PRODUCTS, {"category": fruit.pk})
        outcomes.append((response["X-Cache"], len(queries)))

    assert outcomes[0][0] == "MISS" and outcomes[0][1] > 1
    assert outcomes[1:] == [("HIT", 0)] * 9  # not even the category filter is looked up
    hits = sum(1 for outcome, _ in outcomes if outcome == "HIT")
    assert hits / len(outcomes) == 0.9

    detail = f"{PRODUCTS}{fruit.products.get().pk}/"
    assert client.get(detail)["X-Cache"] == "MISS"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail)["X-Cache"] == "HIT"
    assert len(queries) == 0
    assert client.get(PRODUCTS).content == client.get(PRODUCTS).content  # a hit is byte for byte the same


@pytest.mark.parametrize("origin", [None, "https://shop.example.com"])
def test_a_hit_is_the_same_answer_whichever_way_the_request_takes(origin: str | None, settings: Any) -> None:
    """A plain anonymous GET of a cached page is answered before the session, authentication, URL
    resolver and DRF (catalog.api.middleware); one whose Accept DRF must negotiate goes all the
    way: the same status, body and headers, the listing's and a product's, with CORS or without,
    and the request metrics count both under the view's route."""
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    apples = factories.product("Apples", price="2.00")
    client = api()
    extra: dict[str, Any] = {"HTTP_ORIGIN": origin} if origin else {}
    for path in (PRODUCTS, f"{PRODUCTS}{apples.pk}/"):
        client.get(path, **extra)
        before = route_count("v1:catalog-products" if path == PRODUCTS else "v1:catalog-product")
        plain = client.get(path, **extra)
        negotiated = client.get(path, HTTP_ACCEPT="application/json; q=0.9, */*; q=0.1", **extra)

        assert plain["X-Cache"] == "HIT" and "Cookie" in plain["Vary"] and plain["Allow"] == "GET, HEAD, OPTIONS"
        assert answer(plain) == answer(negotiated)
        assert (plain.get("Access-Control-Allow-Origin") == origin) if origin else True
        assert route_count("v1:catalog-products" if path == PRODUCTS else "v1:catalog-product") == before + 2


def answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    return response.status_code, response.content, {k: v for k, v in response.items() if k != "X-Request-ID"}


def route_count(route: str) -> float:
    labels = {"method": "GET", "route": route, "status": "200"}
    return REGISTRY.get_sample_value("commerce_http_requests_total", labels) or 0.0


def test_a_price_change_is_in_the_very_next_listing_and_detail() -> None:
    fruit = factories.category()
    apples = factories.product("Apples", fruit, price="2.00")
    variant = apples.variants.get()
    client = api()
    assert prices(client.get(PRODUCTS)) == {"Apples": "2.00"}
    assert client.get(PRODUCTS)["X-Cache"] == "HIT"
    assert client.get(f"{PRODUCTS}{apples.pk}/").json()["variants"][0]["price"] == "2.00"

    services.update_variant(variant.pk, {"price": Decimal("1.49")}, expected_version=variant.version)

    response = client.get(PRODUCTS)
    assert response["X-Cache"] == "MISS"
    assert prices(response) == {"Apples": "1.49"}
    assert client.get(f"{PRODUCTS}{apples.pk}/").json()["variants"][0]["price"] == "1.49"


@pytest.mark.parametrize("change", ["product", "variant", "category", "brand", "deactivate", "image"])
def test_every_kind_of_catalog_change_invalidates(change: str) -> None:
    fruit = factories.category("Fruit")
    label = factories.brand("Sunny")
    apples = factories.product("Apples", fruit, brand=label)
    client = api()
    before = client.get(f"{PRODUCTS}{apples.pk}/").json()
    assert client.get(f"{PRODUCTS}{apples.pk}/")["X-Cache"] == "HIT"

    if change == "product":
        services.update_product(apples.pk, {"name": "Red apples"})
    elif change == "variant":
        services.update_variant(apples.variants.get().pk, {"name": "1 kg bag"})
    elif change == "category":
        services.update_category(fruit.pk, {"name": "Fresh fruit"})
    elif change == "brand":
        services.update_brand(label.pk, {"name": "Sunny Farms"})
    elif change == "deactivate":
        services.set_products_active([apples.pk], False)
    else:
        services.add_image(apples.pk, {"url": "https://img.example.com/apples.jpg"})

    response = client.get(f"{PRODUCTS}{apples.pk}/")
    if change == "deactivate":
        assert response.status_code == 404
        assert client.get(PRODUCTS).json()["count"] == 0
        return
    assert response["X-Cache"] == "MISS"
    assert response.json() != before


def test_a_rolled_back_change_leaves_the_cache_alone() -> None:
    apples = factories.product("Apples", price="2.00")
    variant = apples.variants.get()
    client = api()
    client.get(PRODUCTS)
    generation = current_generation()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.update_variant(variant.pk, {"price": Decimal("9.99")})
        raise RuntimeError("the surrounding work fails")

    assert current_generation() == generation
    assert client.get(PRODUCTS)["X-Cache"] == "HIT"
    assert prices(client.get(PRODUCTS)) == {"Apples": "2.00"}


def test_a_lost_generation_restarts_above_every_earlier_one() -> None:
    factories.product("Apples")
    first = current_generation()
    assert first is not None
    cache.delete(GENERATION_KEY)  # evicted, or Redis restarted without persistence
    second = current_generation()
    assert second is not None and second > first
    assert api().get(PRODUCTS)["X-Cache"] == "MISS"


def test_no_reader_sees_an_old_price_once_the_change_returned() -> None:
    """Readers hammer the listing from other threads while the price changes 15 times; every
    response that starts after a change returned shows that change (or a later one)."""
    apples = factories.product("Apples", price="1.00")
    variant_id = apples.variants.get().pk
    committed = [Decimal("1.00")]  # the price whose change has returned, as readers start
    stale: list[tuple[str, str]] = []
    stop = threading.Event()

    def read() -> None:
        client = api()
        try:
            while not stop.is_set():
                floor = committed[-1]
                price = Decimal(prices(client.get(PRODUCTS))["Apples"])
                if price < floor:
                    stale.append((str(floor), str(price)))
        finally:
            connection.close()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for step in range(1, 16):
            new_price = Decimal("1.00") + Decimal(step)
            services.update_variant(variant_id, {"price": new_price})
            committed.append(new_price)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert stale == []
    assert prices(api().get(PRODUCTS)) == {"Apples": "16.00"}


def read_along_counts(monkeypatch: Any) -> list[int]:
    """How many keys each rate-limit round trip reads along (the generation, and the page or not)."""
    from core.api import throttling

    counts: list[int] = []
    count = throttling._count_in_redis

    def spy(*args: Any) -> Any:
        counts.append(len(args[5]) if len(args) > 5 else 0)
        return count(*args)

    monkeypatch.setattr(throttling, "_count_in_redis", spy)
    return counts


def test_a_page_this_process_holds_is_not_read_again_only_its_generation(monkeypatch: Any) -> None:
    apples = factories.product("Apples", price="2.00")
    variant = apples.variants.get()
    counts = read_along_counts(monkeypatch)
    client = api()
    first = client.get(PRODUCTS)
    hits = [client.get(PRODUCTS) for _ in range(3)]

    assert first["X-Cache"] == "MISS" and [hit["X-Cache"] for hit in hits] == ["HIT"] * 3
    assert {answer(hit)[1] for hit in hits} == {first.content}
    assert counts == [2, 1, 1, 1]  # the page is read once; then only the generation along with the count

    services.update_variant(variant.pk, {"price": Decimal("1.49")}, expected_version=variant.version)
    response = client.get(PRODUCTS)
    assert response["X-Cache"] == "MISS" and prices(response) == {"Apples": "1.49"}
    assert prices(client.get(PRODUCTS)) == {"Apples": "1.49"}


def test_a_page_built_by_another_process_is_kept_once_read(monkeypatch: Any) -> None:
    factories.product("Apples", price="2.00")
    client = api()
    built = client.get(PRODUCTS).content
    cache_module.forget_kept_pages()  # as another worker finds it: in Redis only
    counts = read_along_counts(monkeypatch)

    assert [client.get(PRODUCTS)["X-Cache"] for _ in range(2)] == ["HIT", "HIT"]
    assert counts == [2, 1]
    assert client.get(PRODUCTS).content == built


def test_a_kept_page_does_not_outlive_its_redis_entry(monkeypatch: Any, settings: Any) -> None:
    settings.CATALOG_CACHE_SECONDS = 60
    factories.product("Apples", price="2.00")
    client = api()
    client.get(PRODUCTS)
    counts = read_along_counts(monkeypatch)
    assert client.get(PRODUCTS)["X-Cache"] == "HIT" and counts == [1]

    later = time.time() + 61
    monkeypatch.setattr(cache_module.time, "time", lambda: later)  # the entry has expired in Redis by now
    cache.delete_pattern("*catalog:products:*")  # type: ignore[attr-defined]
    assert client.get(PRODUCTS)["X-Cache"] == "MISS"
    assert counts == [1, 2]


def test_an_entry_without_its_expiry_is_served_and_not_kept(monkeypatch: Any) -> None:
    """Entries an earlier release wrote: (generation, body)."""
    factories.product("Apples", price="2.00")
    client = api()
    built = client.get(PRODUCTS).content
    cache_module.forget_kept_pages()
    [key] = cache.keys("catalog:products:*")  # type: ignore[attr-defined]
    cache.set(key, (current_generation(), built), timeout=60)
    counts = read_along_counts(monkeypatch)

    assert [client.get(PRODUCTS).content for _ in range(2)] == [built, built]
    assert counts == [2, 2]


def test_the_pages_a_process_keeps_are_bounded() -> None:
    pages = cache_module._ProcessPages(2)
    for n in range(5):
        pages.keep(f"k{n}", (1, b"page", time.time() + 60))
    assert [pages.current(f"k{n}", 1) for n in range(5)] == [None, None, None, b"page", b"page"]
    assert pages.current("k4", 2) is None  # another generation: not this page


@pytest.mark.parametrize(
    ("query", "shortcut"),
    [("", True), ("?page=1", True), ("?format=json", False), ("?%66ormat=json", False), ("?q=%C3%A4", True)],
)
def test_a_format_override_goes_through_drf_however_it_is_spelled(query: str, shortcut: bool, monkeypatch: Any) -> None:
    """The middleware answers only what DRF's negotiation cannot change: a query that names the
    format override (also percent-escaped) goes through the stack, and is answered the same."""
    from catalog.api import middleware

    factories.product("Apples", price="2.00")
    client = api()
    client.get(PRODUCTS + query)
    answered: list[bool] = []
    answer_ = middleware._cached_answer

    def spy(*args: Any) -> Any:
        response = answer_(*args)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(middleware, "_cached_answer", spy)
    response = client.get(PRODUCTS + query)
    assert response.status_code == 200 and response["X-Cache"] == "HIT"
    assert answered == ([True] if shortcut else [])
