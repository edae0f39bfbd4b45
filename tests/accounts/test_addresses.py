"""`me/addresses/`: a customer's delivery addresses, validated and normalised; other customers'
addresses do not exist for them."""

from typing import Any

import pytest
from django.test import override_settings

from accounts.models import Address
from tests.api.support import error_of, make_customer, signed_in

pytestmark = pytest.mark.django_db

ADDRESSES = "/api/v1/me/addresses/"


def address(**overrides: Any) -> dict[str, Any]:
    return {
        "recipient_name": "Ann Lee",
        "line1": "Keizersgracht 1",
        "city": "Amsterdam",
        "postal_code": "1015cj",
        "country": "nl",
        **overrides,
    }


def test_an_address_is_stored_normalised_and_the_first_becomes_the_default() -> None:
    client = signed_in(make_customer())
    response = client.post(ADDRESSES, address(phone="+31 20 123 4567", label="Home"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["postal_code"], body["country"], body["phone"], body["is_default"], body["version"]) == (
        "1015 CJ",
        "NL",
        "+31201234567",
        True,
        1,
    )
    second = client.post(ADDRESSES, address(line1="Damrak 2", postal_code="1012 LG")).json()
    assert second["is_default"] is False
    listed = client.get(ADDRESSES).json()
    assert listed["count"] == 2 and [a["id"] for a in listed["results"]] == [body["id"], second["id"]]


def test_making_another_address_the_default_moves_the_default() -> None:
    client = signed_in(make_customer())
    first = client.post(ADDRESSES, address()).json()
    second = client.post(ADDRESSES, address(line1="Damrak 2", is_default=True)).json()
    assert second["is_default"] is True
    assert client.get(f"{ADDRESSES}{first['id']}/").json()["is_default"] is False
    client.patch(f"{ADDRESSES}{first['id']}/", {"is_default": True})
    assert [a["is_default"] for a in client.get(ADDRESSES).json()["results"]] == [True, False]


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"postal_code": "0123 AB"}, "postal_code"),  # Dutch codes do not start with 0
        ({"country": "XX", "postal_code": "12345"}, "country"),
        ({"country": "D"}, "country"),
        ({"country": "DE", "postal_code": "1234"}, "postal_code"),
        ({"country": "GB", "postal_code": "SW1A"}, "postal_code"),
        ({"phone": "12345"}, "phone"),
        ({"recipient_name": ""}, "recipient_name"),
        ({"line1": "x" * 201}, "line1"),
    ],
)
def test_invalid_addresses_are_refused(fields: dict[str, str], bad: str) -> None:
    client = signed_in(make_customer())
    assert bad in error_of(client.post(ADDRESSES, address(**fields)), 400)["fields"]
    assert not Address.objects.exists()


def test_only_the_countries_the_shop_delivers_to_are_accepted() -> None:
    client = signed_in(make_customer())
    with override_settings(ADDRESS_COUNTRIES=["DE"]):
        body = error_of(client.post(ADDRESSES, address()), 400)
        assert body["fields"]["country"] == ["We do not deliver to NL."]
        assert client.post(ADDRESSES, address(country="DE", postal_code="10115", city="Berlin")).status_code == 201


def test_another_customers_address_is_not_found_and_stays_as_it_is() -> None:
    ann, bob = make_customer("ann@example.com"), make_customer("bob@example.com")
    bobs = signed_in(bob).post(ADDRESSES, address(recipient_name="Bob")).json()
    url = f"{ADDRESSES}{bobs['id']}/"
    client = signed_in(ann)

    error_of(client.get(url), 404, "not_found")
    error_of(client.patch(url, {"recipient_name": "Mallory", "version": 1}), 404, "not_found")
    error_of(client.delete(url), 404, "not_found")
    assert client.get(ADDRESSES).json()["count"] == 0
    stored = Address.objects.get(pk=bobs["id"])
    assert (stored.recipient_name, stored.version, stored.user_id) == ("Bob", 1, bob.pk)


@pytest.mark.parametrize(
    "ownership",
    [
        {"user": "OTHER"},
        {"user_id": "OTHER"},
        {"owner": "OTHER"},
        {"id": 12345},
        {"created_at": "2020-01-01T00:00:00Z"},
    ],
)
def test_ownership_cannot_be_set_or_moved(ownership: dict[str, Any]) -> None:
    ann, bob = make_customer("ann@example.com"), make_customer("bob@example.com")
    values = {key: bob.pk if value == "OTHER" else value for key, value in ownership.items()}
    client = signed_in(ann)
    assert list(error_of(client.post(ADDRESSES, address(**values)), 400, "invalid")["fields"]) == list(values)
    assert not Address.objects.exists()

    mine = client.post(ADDRESSES, address()).json()
    error_of(client.patch(f"{ADDRESSES}{mine['id']}/", values), 400, "invalid")
    assert Address.objects.get().user_id == ann.pk


def test_a_stale_version_is_refused() -> None:
    client = signed_in(make_customer())
    made = client.post(ADDRESSES, address()).json()
    url = f"{ADDRESSES}{made['id']}/"
    assert client.patch(url, {"line2": "3rd floor", "version": 1}).json()["version"] == 2
    error_of(client.patch(url, {"line2": "4th floor", "version": 1}), 409, "stale_version")
    assert client.get(url).json()["line2"] == "3rd floor"


def test_a_patch_that_changes_the_country_rechecks_the_postal_code() -> None:
    client = signed_in(make_customer())
    made = client.post(ADDRESSES, address()).json()
    url = f"{ADDRESSES}{made['id']}/"
    assert "postal_code" in error_of(client.patch(url, {"country": "DE"}), 400)["fields"]
    moved = client.patch(url, {"country": "DE", "postal_code": "10115", "city": "Berlin"}).json()
    assert (moved["country"], moved["postal_code"]) == ("DE", "10115")


def test_deleting_an_address() -> None:
    client = signed_in(make_customer())
    made = client.post(ADDRESSES, address()).json()
    assert client.delete(f"{ADDRESSES}{made['id']}/").status_code == 204
    error_of(client.get(f"{ADDRESSES}{made['id']}/"), 404)


def test_a_customer_keeps_a_bounded_number_of_addresses() -> None:
    client = signed_in(make_customer())
    with override_settings(ACCOUNTS_MAX_ADDRESSES=2):
        for n in range(2):
            assert client.post(ADDRESSES, address(line1=f"Street {n}")).status_code == 201
        error_of(client.post(ADDRESSES, address(line1="One too many")), 409, "too_many_addresses")
    assert Address.objects.count() == 2
