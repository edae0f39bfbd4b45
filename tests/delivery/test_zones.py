"""An address resolves to one zone (and says why); anyone sees its slots with capacity, fee,
cut-off and why a slot is not available."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from accounts.services import create_address
from delivery.errors import InvalidPostalCode, PostalCodeNotServed
from delivery.models import DeliverySlot, PostalCodeMatch, ZonePostalCode
from delivery.selectors import resolve_zone
from delivery.services.holds import hold_slot
from tests.delivery.factories import client_for, make_customer, make_slot, make_zone

pytestmark = pytest.mark.django_db


def test_an_exact_code_beats_a_prefix_and_a_longer_prefix_beats_a_shorter_one() -> None:
    mitte = make_zone("mitte", exact=("10115",))
    centre = make_zone("centre", exact=(), prefixes=("101",))
    wide = make_zone("wide", exact=(), prefixes=("1",))

    exact = resolve_zone("DE", "10115")
    assert (exact.zone, exact.match) == (mitte, PostalCodeMatch.EXACT)
    assert exact.reason == "DE 10115 is listed as an exact postal code of zone Zone mitte"
    prefix = resolve_zone("de", " 101-17 ")  # normalised: case, spaces and hyphens
    assert (prefix.zone, prefix.matched_value, prefix.postal_code) == (centre, "101", "10117")
    assert prefix.reason == "DE 10117 starts with the prefix 101 of zone Zone centre"
    assert resolve_zone("DE", "12000").zone == wide


def test_the_country_is_part_of_the_match_and_unknown_codes_are_not_served() -> None:
    make_zone("mitte", exact=("10115",), country="DE")
    with pytest.raises(PostalCodeNotServed, match="We do not deliver to AT 10115 yet"):
        resolve_zone("AT", "10115")
    with pytest.raises(InvalidPostalCode):
        resolve_zone("DE", "1")
    with pytest.raises(InvalidPostalCode):
        resolve_zone("Germany", "10115")


def test_inactive_zones_resolve_nothing() -> None:
    make_zone("closed", exact=("10115",), active=False)
    fallback = make_zone("fallback", exact=(), prefixes=("10",))
    assert resolve_zone("DE", "10115").zone == fallback


def test_a_code_or_prefix_belongs_to_one_zone_only() -> None:
    make_zone("a", exact=("10115",))
    other = make_zone("b", exact=())
    with pytest.raises(IntegrityError), transaction.atomic():
        ZonePostalCode.objects.create(zone=other, country="DE", match=PostalCodeMatch.EXACT, value="10115")
    with pytest.raises(IntegrityError), transaction.atomic():
        ZonePostalCode.objects.create(zone=other, country="DE", match=PostalCodeMatch.EXACT, value="10 115")


def test_anyone_sees_the_slots_of_a_postal_code_with_remaining_capacity_fee_and_reasons() -> None:
    zone = make_zone("mitte", exact=("10115",), fee="3.90", free_over="50.00")
    open_slot = make_slot(zone, starts_in=timedelta(hours=3), capacity=2, premium="1.00")
    full = make_slot(zone, starts_in=timedelta(hours=4), capacity=1)
    closed = make_slot(zone, starts_in=timedelta(hours=5), closed=True)
    past_cutoff = make_slot(zone, starts_in=timedelta(minutes=30), cutoff_minutes=60)
    make_slot(zone, starts_in=timedelta(days=20))  # beyond the days shown
    hold_slot(slot_id=full.pk, customer_id=make_customer().pk)

    response = client_for(None).get("/api/v1/delivery/slots/", {"postal_code": "10115"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resolution"]["zone"]["code"] == "mitte"
    assert body["resolution"]["country"] == "DE"  # the default country
    assert "exact postal code" in body["resolution"]["reason"]
    assert body["resolution"]["zone"]["free_delivery_threshold"] == "50.00"
    slots = {s["id"]: s for s in body["results"]}
    assert list(slots) == [past_cutoff.pk, open_slot.pk, full.pk, closed.pk]  # by start
    expected = {
        "available": True,
        "remaining": 2,
        "fee": "4.90",
        "fee_premium": "1.00",
        "currency": "EUR",
        "unavailable_reason": None,
    }
    assert {key: slots[open_slot.pk][key] for key in expected} == expected
    assert slots[full.pk]["available"] is False
    assert (slots[full.pk]["unavailable_reason"], slots[full.pk]["remaining"]) == ("slot_full", 0)
    assert slots[closed.pk]["unavailable_reason"] == "slot_closed"
    assert slots[past_cutoff.pk]["unavailable_reason"] == "slot_past_cutoff"
    assert slots[past_cutoff.pk]["unavailable_message"] == "Orders for this slot closed at its cut-off."
    assert slots[open_slot.pk]["cutoff_at"]


def test_free_delivery_waives_the_zone_fee_but_not_a_premium() -> None:
    zone = make_zone("mitte", exact=("10115",), fee="3.90", free_over="50.00")
    make_slot(zone, premium="1.00")
    below = client_for(None).get("/api/v1/delivery/slots/", {"postal_code": "10115", "subtotal": "49.99"}).json()
    above = client_for(None).get("/api/v1/delivery/slots/", {"postal_code": "10115", "subtotal": "50.00"}).json()
    assert below["results"][0]["fee"] == "4.90"
    assert above["results"][0]["fee"] == "1.00"


def test_slot_queries_that_cannot_be_answered_say_why() -> None:
    make_zone("mitte", exact=("10115",))
    client = client_for(None)

    missing = client.get("/api/v1/delivery/slots/")
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid" and "postal_code" in missing.json()["fields"]

    not_served = client.get("/api/v1/delivery/slots/", {"postal_code": "99999"})
    assert not_served.status_code == 404
    assert not_served.json() == {
        "code": "postal_code_not_served",
        "message": "We do not deliver to DE 99999 yet.",
        "fields": {},
    }

    bad = client.get("/api/v1/delivery/slots/", {"postal_code": "10115", "country": "Deutschland"})
    assert bad.status_code == 400 and bad.json()["code"] in {"invalid", "invalid_postal_code"}

    by_address = client.get("/api/v1/delivery/slots/", {"address": "1"})
    assert by_address.status_code == 401  # addresses are the signed-in customer's


def test_slots_for_one_of_the_customers_addresses_and_never_someone_elses() -> None:
    make_zone("mitte", exact=("10115",))
    owner, other = make_customer("owner@example.com"), make_customer("other@example.com")
    home = create_address(
        owner.pk,
        {
            "recipient_name": "Ann",
            "line1": "Invalidenstr. 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
    )
    mine = client_for(owner).get("/api/v1/delivery/slots/", {"address": home.pk})
    assert mine.status_code == 200, mine.json()
    assert mine.json()["resolution"]["zone"]["code"] == "mitte"
    theirs = client_for(other).get("/api/v1/delivery/slots/", {"address": home.pk})
    assert theirs.status_code == 404 and theirs.json()["code"] == "address_not_found"


def test_the_slot_list_of_one_day_and_its_pages() -> None:
    zone = make_zone("mitte", exact=("10115",))
    for hours in range(30, 34):
        make_slot(zone, starts_in=timedelta(hours=hours))
    client = client_for(None)
    first = client.get("/api/v1/delivery/slots/", {"postal_code": "10115", "page_size": 3}).json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["next"]
    starts = [slot.starts_at.astimezone(ZoneInfo("Europe/Berlin")) for slot in DeliverySlot.objects.all()]
    day = starts[0].date()
    one_day = client.get("/api/v1/delivery/slots/", {"postal_code": "10115", "date": day.isoformat()}).json()
    assert one_day["count"] == sum(1 for start in starts if start.date() == day)
