"""The cart and checkout over HTTP: anonymous carts by token merged at sign-in, decimal quantities,
clear reasons per line, and the checkout's holds and summary."""

from decimal import Decimal

import pytest

from catalog.models import Variant
from delivery.models import HoldState, SlotHold
from inventory.models import Reservation, ReservationState
from orders.models import Cart, CartState, PurchaseLimit
from tests.api.support import PASSWORD, api, error_of, make_customer, signed_in
from tests.orders.helpers import Shop, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def address_of(client: object) -> int:
    response = client.post(
        "/api/v1/me/addresses/",
        {  # type: ignore[attr-defined]
            "recipient_name": "Ann",
            "line1": "Invalidenstr. 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_a_visitor_fills_a_cart_by_token_and_it_joins_their_account_at_sign_in(shop: Shop) -> None:
    visitor = api()
    added = visitor.post("/api/v1/cart/lines/", {"variant": shop.apples.pk, "quantity": "1.5"}, format="json")
    assert added.status_code == 201, added.content
    token = added.json()["token"]
    assert added.json()["lines"][0]["quantity"] == "1.5" and added.json()["subtotal"] == "4.50"
    again = visitor.post(
        "/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "2"}, format="json", HTTP_X_CART_TOKEN=token
    )
    assert again.json()["token"] == token and len(again.json()["lines"]) == 2

    make_customer("ann@example.com")
    customer_client = api()
    # The signed-in customer already had bread and one litre of milk in their account's cart.
    signed = customer_client.post(
        "/api/v1/auth/login/",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_CART_TOKEN=token,
    )
    assert signed.status_code == 200, signed.content
    customer_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed.json()['token']}")
    cart = customer_client.get("/api/v1/cart/").json()
    assert {line["sku"]: line["quantity"] for line in cart["lines"]} == {shop.apples.sku: "1.5", shop.milk.sku: "2"}
    assert Cart.objects.get(token=token).state == CartState.MERGED
    # The token is spent: it no longer names a cart.
    assert visitor.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()["lines"] == []


def test_quantities_follow_the_item_steps_and_limits_with_clear_reasons(shop: Shop) -> None:
    client = signed_in(make_customer())
    error_of(
        client.post("/api/v1/cart/lines/", {"variant": shop.apples.pk, "quantity": "0.25"}, format="json"),
        400,
        "invalid_quantity",
    )
    error_of(
        client.post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1.5"}, format="json"),
        400,
        "invalid_quantity",
    )
    error_of(
        client.post("/api/v1/cart/lines/", {"variant": 999999, "quantity": "1"}, format="json"),
        400,
        "variant_not_found",
    )
    error_of(
        client.post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1", "price": "0.01"}, format="json"),
        400,
    )
    PurchaseLimit.objects.create(variant=shop.bread, max_quantity=Decimal("2"))
    assert (
        client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "2"}, format="json").status_code
        == 201
    )
    body = error_of(
        client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "1"}, format="json"),
        400,
        "above_item_limit",
    )
    assert "At most 2" in body["fields"]["quantity"][0]


def test_the_cart_shows_todays_prices_and_what_stops_a_line(shop: Shop) -> None:
    client = signed_in(make_customer())
    line = client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "3"}, format="json").json()
    line_id = line["lines"][0]["id"]
    Variant.objects.filter(pk=shop.bread.pk).update(price=Decimal("2.80"))
    cart = client.get("/api/v1/cart/").json()
    assert cart["lines"][0]["unit_price"] == "2.80" and cart["lines"][0]["price_changed_from"] == "2.50"
    assert cart["subtotal"] == "8.40"
    assert client.get("/api/v1/cart/").json()["lines"][0]["price_changed_from"] is None  # seen now
    client.post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1"}, format="json")
    Variant.objects.filter(pk=shop.milk.pk).update(is_active=False)
    cart = client.get("/api/v1/cart/").json()
    assert cart["can_check_out"] is False
    assert [line["problems"] for line in cart["lines"]] == [[], ["This item is no longer sold; remove it."]]
    updated = client.patch(f"/api/v1/cart/lines/{line_id}/", {"quantity": "1"}, format="json")
    assert updated.status_code == 200 and updated.json()["lines"][0]["quantity"] == "1"
    assert client.delete(f"/api/v1/cart/lines/{line_id}/").status_code == 200
    error_of(client.delete(f"/api/v1/cart/lines/{line_id}/"), 404, "cart_line_not_found")


def test_checkout_holds_the_slot_reserves_the_stock_and_prices_the_order(shop: Shop) -> None:
    customer = make_customer()
    client = signed_in(customer)
    address = address_of(client)
    client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "1"}, format="json")
    body = error_of(
        client.post("/api/v1/checkout/", {"address": address, "slot": shop.slot.pk}, format="json"),
        409,
        "below_minimum_order",
    )
    assert "add 2.50 EUR more" in body["message"]
    client.post("/api/v1/cart/lines/", {"variant": shop.apples.pk, "quantity": "2"}, format="json")
    summary = client.post("/api/v1/checkout/", {"address": address, "slot": shop.slot.pk}, format="json")
    assert summary.status_code == 200, summary.content
    body = summary.json()
    assert body["ready"] is True
    assert (body["subtotal"], body["delivery_fee"], body["total"], body["authorized_amount"]) == (
        "8.50",
        "3.90",
        "12.40",
        "13.00",
    )
    hold = SlotHold.objects.get(pk=body["slot"]["hold"])
    assert hold.state == HoldState.ACTIVE and hold.customer_id == customer.pk
    reservation = Reservation.objects.get(owner_type="cart", state=ReservationState.ACTIVE)
    # Checking out again for the same slot keeps the hold and replaces the reservation.
    again = client.post("/api/v1/checkout/", {"address": address, "slot": shop.slot.pk}, format="json").json()
    assert again["slot"]["hold"] == hold.pk
    assert Reservation.objects.get(pk=reservation.pk).state == ReservationState.RELEASED
    assert client.get("/api/v1/checkout/").json()["ready"] is True
    assert client.delete("/api/v1/checkout/").status_code == 204
    assert SlotHold.objects.get(pk=hold.pk).state == HoldState.RELEASED
    assert not Reservation.objects.filter(state=ReservationState.ACTIVE).exists()
    assert client.get("/api/v1/checkout/").json()["ready"] is False


def test_checkout_needs_an_account_and_ones_own_address(shop: Shop) -> None:
    error_of(api().post("/api/v1/checkout/", {"address": 1, "slot": shop.slot.pk}, format="json"), 401)
    other = signed_in(make_customer("other@example.com"))
    foreign = address_of(other)
    client = signed_in(make_customer())
    client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "4"}, format="json")
    error_of(
        client.post("/api/v1/checkout/", {"address": foreign, "slot": shop.slot.pk}, format="json"),
        404,
        "address_not_found",
    )
    assert not SlotHold.objects.exists() and not Reservation.objects.exists()


def test_a_checked_out_cart_holding_the_last_units_is_not_shown_as_sold_out(shop: Shop) -> None:
    from tests.orders.helpers import make_variant

    truffle = make_variant("Truffle", "25.00", stock="2")
    client = signed_in(make_customer())
    address = address_of(client)
    client.post("/api/v1/cart/lines/", {"variant": truffle.pk, "quantity": "2"}, format="json")
    assert (
        client.post("/api/v1/checkout/", {"address": address, "slot": shop.slot.pk}, format="json").status_code == 200
    )
    cart = client.get("/api/v1/cart/").json()
    assert cart["can_check_out"] is True and cart["lines"][0]["problems"] == []
    # Someone else sees it as it is for them: none left.
    other = signed_in(make_customer("bob@example.com"))
    other.post("/api/v1/cart/lines/", {"variant": truffle.pk, "quantity": "1"}, format="json")
    assert other.get("/api/v1/cart/").json()["lines"][0]["problems"] == ["Out of stock."]


def test_adding_more_of_an_item_keeps_its_substitution_preference(shop: Shop) -> None:
    client = signed_in(make_customer())
    client.post(
        "/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "1", "substitution": "none"}, format="json"
    )
    cart = client.post("/api/v1/cart/lines/", {"variant": shop.bread.pk, "quantity": "2"}, format="json").json()
    assert [(line["quantity"], line["substitution"]) for line in cart["lines"]] == [("3", "none")]


def test_reading_the_cart_takes_the_same_few_queries_for_any_number_of_lines(shop: Shop) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.orders.helpers import make_variant

    def queries_for(lines: int) -> int:
        client = signed_in(make_customer(f"reader{lines}@example.com"))
        for n in range(lines):
            variant = make_variant(f"Reader {lines}-{n}", "1.00")
            client.post("/api/v1/cart/lines/", {"variant": variant.pk, "quantity": "1"}, format="json")
        client.get("/api/v1/cart/")  # the first read acknowledges the prices seen
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/cart/").status_code == 200
        return len(queries)

    few, many = queries_for(2), queries_for(12)
    assert few == many and many <= 8, (few, many)


def test_visitors_carts_untouched_for_a_month_are_deleted_and_customers_carts_stay(shop: Shop) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from orders import tasks

    token = api().post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1"}, format="json").json()["token"]
    fresh = api().post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1"}, format="json").json()["token"]
    signed_in(make_customer()).post("/api/v1/cart/lines/", {"variant": shop.milk.pk, "quantity": "1"}, format="json")
    Cart.objects.exclude(token=fresh).update(updated_at=timezone.now() - timedelta(days=31))
    assert tasks.purge_abandoned_carts.apply().get() == 1  # the stale visitor's cart (with its line)
    assert not Cart.objects.filter(token=token).exists()
    assert Cart.objects.filter(token=fresh).exists() and Cart.objects.filter(customer__isnull=False).exists()
