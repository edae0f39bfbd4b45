"""The inventory API: public availability (briefly cached, dropped on change) and the staff
endpoints for adjustments and receipts (permissions, idempotency keys, optimistic locking)."""

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import WAREHOUSE
from core.cache import redis_client, thread_connection, uses_redis
from inventory import cache as availability_cache
from inventory.models import Reservation, StockItem, StockMovement
from inventory.services import availability, reserve_stock
from tests.concurrency import run_together
from tests.inventory.helpers import assert_ledger_matches, levels, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db(transaction=True)  # the cache is dropped when changes commit

AVAILABILITY = "/api/v1/inventory/availability/"
ADJUSTMENTS = "/api/v1/staff/inventory/adjustments/"
RECEIPTS = "/api/v1/staff/inventory/receipts/"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.delete_pattern("inventory:availability:*")


def warehouse_clerk() -> APIClient:
    clerk = User.objects.create_user("clerk@example.com", "a-long-password-123", is_staff=True)
    clerk.groups.add(Group.objects.get(name=WAREHOUSE))
    client = APIClient()
    client.force_authenticate(clerk)
    return client


def post(client: APIClient, url: str, body: dict[str, object], key: str = "k-1"):  # type: ignore[no-untyped-def]
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_anyone_sees_availability_per_warehouse_with_quantities_as_strings() -> None:
    bananas = make_variant("BANANA", unit="kg", step="0.1")
    stocked(bananas, "12.5", warehouse="berlin-1")
    stocked(bananas, "3", warehouse="berlin-2")
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(bananas.pk, "2.5")], warehouse_code="berlin-1")
    response = APIClient().get(AVAILABILITY, {"variant": bananas.pk})
    assert response.status_code == 200
    assert response.json() == {
        "variant": bananas.pk,
        "sku": "BANANA",
        "unit": "kg",
        "warehouse": None,
        "available": "13",
        "in_stock": True,
        "warehouses": [{"warehouse": "berlin-1", "available": "10"}, {"warehouse": "berlin-2", "available": "3"}],
    }
    one = APIClient().get(AVAILABILITY, {"variant": bananas.pk, "warehouse": "berlin-2"}).json()
    assert (one["warehouse"], one["available"]) == ("berlin-2", "3")


def test_availability_is_cached_briefly_and_dropped_when_stock_changes() -> None:
    milk = stocked(make_variant("MILK"), "5")
    client = APIClient()
    first = client.get(AVAILABILITY, {"variant": milk.variant_id})
    again = client.get(AVAILABILITY, {"variant": milk.variant_id})
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    reservation = reserve_stock(
        owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 2)], warehouse_code="berlin-1"
    )
    after = client.get(AVAILABILITY, {"variant": milk.variant_id})
    assert (after["X-Cache"], after.json()["available"]) == ("MISS", "3")
    # Expiry commits nothing until someone looks; the service read path releases it at once.
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    cache.delete_pattern("inventory:availability:*")  # as after the few cached seconds
    assert client.get(AVAILABILITY, {"variant": milk.variant_id}).json()["available"] == "5"


def test_a_figure_read_before_a_change_committed_is_not_served_after_the_change() -> None:
    """The fill race: a reader reads the database, a reservation commits and drops the figure, and
    only then does the reader store what it read. That figure was true when read, but no reader
    after the reservation returned may get it (it used to stay cached until its TTL)."""
    milk = stocked(make_variant("MILK"), "5")

    def read_then_someone_reserves() -> dict[str, str]:
        read = {"available": "5"}  # what the reader's query returned
        reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 2)], warehouse_code="berlin-1")
        return read

    assert availability_cache.cached(milk.variant_id, None, read_then_someone_reserves) == ({"available": "5"}, False)
    after = APIClient().get(AVAILABILITY, {"variant": milk.variant_id})
    assert (after["X-Cache"], after.json()["available"]) == ("MISS", "3")
    again = APIClient().get(AVAILABILITY, {"variant": milk.variant_id})
    assert (again["X-Cache"], again.json()["available"]) == ("HIT", "3")


def test_the_embedded_in_process_cache_keeps_and_drops_figures_the_same_way(settings: Any) -> None:
    """`make run`'s embedded mode has no Redis: its in-process cache takes the same generations."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures"}}
    assert not uses_redis()
    milk = stocked(make_variant("MILK"), "5")
    client = APIClient()
    assert [client.get(AVAILABILITY, {"variant": milk.variant_id})["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]

    def read_then_someone_reserves() -> dict[str, str]:
        reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 2)], warehouse_code="berlin-1")
        return {"available": "5"}

    cache.delete(availability_cache.key(milk.variant_id, None))  # as after the figure's few seconds
    availability_cache.cached(milk.variant_id, None, read_then_someone_reserves)
    after = client.get(AVAILABILITY, {"variant": milk.variant_id})
    assert (after["X-Cache"], after.json()["available"]) == ("MISS", "3")


def test_under_concurrent_readers_no_writer_reads_a_figure_older_than_its_own_reservation() -> None:
    """8 readers fill the figure from the database as fast as they can while 8 writers each reserve
    one unit 15 times. Right after each reservation returns, its writer reads the figure: it must
    count that reservation, so it is below what the writer saw in the database before reserving
    (only reservations happen, so the figure only falls). A figure a reader read before the
    reservation committed and stored after its drop would be at or above it."""
    milk = stocked(make_variant("MILK"), "1000")
    variant = milk.variant_id
    writers_running, count_guard = [8], threading.Lock()
    finished = threading.Event()  # set by the last writer out, even one that failed: the readers stop

    def in_database() -> Decimal:
        return availability([variant])[variant].available

    def figure() -> Decimal:
        value: Decimal = availability_cache.cached(variant, None, in_database)[0]
        return value

    def client(index: int) -> list[tuple[Decimal, Decimal]]:
        if index >= 8:  # a reader
            while not finished.is_set():
                figure()
            return []
        stale = []
        try:
            for turn in range(15):
                before = in_database()
                reserve_stock(
                    owner_type="cart", owner_id=f"w{index}-{turn}", lines=[(variant, 1)], warehouse_code="berlin-1"
                )
                seen = figure()
                if seen > before - 1:
                    stale.append((before, seen))
        finally:
            with count_guard:
                writers_running[0] -= 1
                if writers_running[0] == 0:
                    finished.set()
        return stale

    results = run_together(16, client)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert [stale for stale in results if stale] == []
    assert in_database() == Decimal(1000 - 8 * 15)
    assert figure() == Decimal(1000 - 8 * 15)


def test_a_figure_is_dropped_even_when_redis_closed_the_idle_connection(caplog: pytest.LogCaptureFixture) -> None:
    """The drop sends its DEL on the thread's own connection without looking at it first
    (docs/decisions/0087): one the server closed while idle (a restart, a timeout, CLIENT KILL)
    fails on the send or the read, and the DEL goes again on a fresh connection, so the writer
    still returns only after the figure is gone."""
    milk = stocked(make_variant("MILK"), "5")
    client = APIClient()
    reserve_stock(owner_type="cart", owner_id="c-0", lines=[(milk.variant_id, 1)], warehouse_code="berlin-1")
    assert client.get(AVAILABILITY, {"variant": milk.variant_id}).json()["available"] == "4"
    assert client.get(AVAILABILITY, {"variant": milk.variant_id})["X-Cache"] == "HIT"
    own = thread_connection()
    own.send_command("CLIENT", "ID")
    redis_client().client_kill_filter(_id=own.read_response())

    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 2)], warehouse_code="berlin-1")
    after = client.get(AVAILABILITY, {"variant": milk.variant_id})
    assert (after["X-Cache"], after.json()["available"]) == ("MISS", "2")
    assert "not dropped" not in caplog.text


def test_unknown_or_unsold_variants_and_unknown_warehouses_are_404() -> None:
    gone = make_variant("GONE", active=False)
    make_warehouse()
    client = APIClient()
    assert client.get(AVAILABILITY, {"variant": gone.pk}).json()["code"] == "variant_not_found"
    assert client.get(AVAILABILITY, {"variant": 999_999}).status_code == 404
    live = make_variant("LIVE")
    response = client.get(AVAILABILITY, {"variant": live.pk, "warehouse": "nowhere"})
    assert (response.status_code, response.json()["code"]) == (404, "warehouse_not_found")
    assert client.get(AVAILABILITY, {"variant": live.pk}).json()["available"] == "0"
    bad = client.get(AVAILABILITY, {"variant": "x"})
    assert bad.status_code == 400 and "variant" in bad.json()["fields"]


def test_a_clerk_adjusts_with_the_version_and_a_stale_version_is_409() -> None:
    milk = stocked(make_variant("MILK"), "10")
    client = warehouse_clerk()
    listed = client.get("/api/v1/staff/inventory/stock/", {"warehouse": "berlin-1"}).json()["results"]
    assert [(row["sku"], row["on_hand"], row["version"]) for row in listed] == [("MILK", "10", 2)]
    body = {"warehouse": "berlin-1", "sku": "MILK", "on_hand": "8", "version": 2, "note": "weekly count"}
    response = post(client, ADJUSTMENTS, body)
    assert response.status_code == 200
    assert (response.json()["on_hand"], response.json()["version"]) == ("8", 3)
    replay = post(client, ADJUSTMENTS, body)  # the same key and body: replayed, applied once
    assert replay["Idempotent-Replayed"] == "true" and levels(milk)[0] == Decimal(8)
    stale = post(client, ADJUSTMENTS, {**body, "on_hand": "9"}, key="k-2")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version" and "now version 3" in stale.json()["message"]
    assert levels(milk)[0] == Decimal(8)
    waste = post(
        client,
        ADJUSTMENTS,
        {"warehouse": "berlin-1", "variant": milk.variant_id, "delta": "-1", "reason": "waste", "version": 3},
        key="k-3",
    )
    assert waste.status_code == 200 and waste.json()["on_hand"] == "7"
    assert StockMovement.objects.filter(actor__email="clerk@example.com").count() == 2
    assert_ledger_matches()


def test_adjustments_need_a_key_a_clear_body_and_cannot_go_below_reserved() -> None:
    milk = stocked(make_variant("MILK"), "10")
    reserve_stock(owner_type="cart", owner_id="c-1", lines=[(milk.variant_id, 4)], warehouse_code="berlin-1")
    client = warehouse_clerk()
    body = {"warehouse": "berlin-1", "sku": "MILK", "on_hand": "3", "version": 2}
    assert client.post(ADJUSTMENTS, body, format="json").json()["code"] == "idempotency_key_required"
    below = post(client, ADJUSTMENTS, body)
    assert (below.status_code, below.json()["code"]) == (409, "below_reserved")
    both = post(client, ADJUSTMENTS, {**body, "delta": "1"}, key="k-2")
    assert both.status_code == 400 and "on_hand" in both.json()["fields"]
    extra = post(client, ADJUSTMENTS, {**body, "reserved": "0"}, key="k-3")
    assert extra.status_code == 400 and extra.json()["fields"]["reserved"] == ["This field is not allowed."]
    unknown = post(client, ADJUSTMENTS, {**body, "sku": "NOPE"}, key="k-4")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "variant_not_found")
    assert levels(milk) == (Decimal(10), Decimal(4))


def test_a_receipt_creates_stock_once_per_key() -> None:
    make_warehouse()
    eggs = make_variant("EGGS")
    client = warehouse_clerk()
    body = {"warehouse": "berlin-1", "sku": "EGGS", "quantity": "30", "reference": "delivery note 17"}
    first = post(client, RECEIPTS, body)
    assert first.status_code == 201
    assert (first.json()["on_hand"], first.json()["available"], first.json()["unit"]) == ("30", "30", "piece")
    assert post(client, RECEIPTS, body).status_code == 201  # replayed
    assert StockItem.objects.get(variant=eggs).on_hand == Decimal(30)
    half = post(client, RECEIPTS, {**body, "quantity": "0.5"}, key="k-2")
    assert half.status_code == 400 and half.json()["code"] == "invalid_quantity"


def test_only_warehouse_staff_may_change_stock() -> None:
    stocked(make_variant("MILK"), "10")
    body = {"warehouse": "berlin-1", "sku": "MILK", "quantity": "1"}
    assert post(APIClient(), RECEIPTS, body).status_code == 401
    customer = APIClient()
    customer.force_authenticate(User.objects.create_user("buyer@example.com", "a-long-password-123"))
    assert post(customer, RECEIPTS, body).status_code == 403
    support = User.objects.create_user("support@example.com", "a-long-password-123", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    staff = APIClient()
    staff.force_authenticate(support)
    assert post(staff, RECEIPTS, body).status_code == 403
    assert staff.get("/api/v1/staff/inventory/stock/").status_code == 403


def test_the_openapi_schema_describes_the_inventory_endpoints() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert {
        "/api/v1/inventory/availability/",
        "/api/v1/staff/inventory/adjustments/",
        "/api/v1/staff/inventory/receipts/",
        "/api/v1/staff/inventory/stock/",
    } <= set(schema["paths"])
    assert "409" in schema["paths"]["/api/v1/staff/inventory/adjustments/"]["post"]["responses"]
