"""Registering a customer account: a token for the app, a user.registered event, password rules,
and fields a customer must not set."""

from typing import Any

import pytest

from accounts.models import AccessToken, User
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from proto.events.v1 import users_pb2
from tests.api.support import PASSWORD, api, error_of, make_customer

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"


def test_registering_signs_the_customer_in_and_records_the_event() -> None:
    response = api().post(
        REGISTER,
        {
            "email": " Ann.Lee@Example.COM ",
            "password": PASSWORD,
            "first_name": "Ann",
            "last_name": "Lee",
            "phone": "+49 151 1234 5678",
            "device_name": "Pixel 8",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"] | {"id": 0, "date_joined": ""} == {
        "id": 0,
        "email": "ann.lee@example.com",
        "email_verified": False,
        "first_name": "Ann",
        "last_name": "Lee",
        "phone": "+4915112345678",
        "date_joined": "",
        "version": 1,
    }
    assert body["token"].startswith("cmt_") and body["expires_at"]
    me = api()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.get("/api/v1/me/").json()["email"] == "ann.lee@example.com"

    user = User.objects.get(email="ann.lee@example.com")
    assert not user.is_staff and not user.is_superuser and user.check_password(PASSWORD)
    assert AccessToken.objects.get(user=user).name == "Pixel 8"
    event = OutboxEvent.objects.get(event_type="user.registered")
    envelope, payload = unpack_envelope(bytes(event.payload))
    assert isinstance(payload, users_pb2.UserRegistered)
    assert (envelope.aggregate_type, envelope.aggregate_id) == ("user", str(user.pk))
    assert (payload.user_id, payload.email, payload.first_name, payload.last_name) == (
        str(user.pk),
        "ann.lee@example.com",
        "Ann",
        "Lee",
    )
    assert payload.registered_at.ToDatetime().year == user.date_joined.year


def test_an_email_is_registered_once_whatever_its_case() -> None:
    make_customer("ann@example.com")
    body = error_of(api().post(REGISTER, {"email": "ANN@example.com", "password": PASSWORD}), 400, "email_taken")
    assert "email" in body["fields"]
    assert User.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="user.registered").count() == 1


@pytest.mark.parametrize(
    "password, why",
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749261038", "entirely numeric"),
        ("ann.lee@example.com", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    body = error_of(api().post(REGISTER, {"email": "ann.lee@example.com", "password": password}), 400, "invalid")
    assert any(why in message for message in body["fields"]["password"]), body
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [{"is_staff": True}, {"is_superuser": True}, {"groups": [1]}, {"id": 1}, {"version": 9}, {"is_active": False}],
)
def test_fields_a_customer_must_not_set_are_refused_and_nothing_is_created(extra: dict[str, object]) -> None:
    body = error_of(api().post(REGISTER, {"email": "ann@example.com", "password": PASSWORD, **extra}), 400, "invalid")
    assert list(body["fields"]) == list(extra)
    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_an_invalid_phone_number_is_refused() -> None:
    body = error_of(api().post(REGISTER, {"email": "ann@example.com", "password": PASSWORD, "phone": "0151 123"}), 400)
    assert "phone" in body["fields"]
    assert not User.objects.exists()


def test_registration_is_rate_limited_per_ip(settings: Any) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for n in range(2):
        assert api().post(REGISTER, {"email": f"user{n}@example.com", "password": PASSWORD}).status_code == 201
    response = api().post(REGISTER, {"email": "user3@example.com", "password": PASSWORD})
    error_of(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 2 * 3600  # the sliding window can hold up to 2 windows
    other_ip = api(REMOTE_ADDR="10.1.2.3").post(REGISTER, {"email": "user4@example.com", "password": PASSWORD})
    assert other_ip.status_code == 201
    assert not User.objects.filter(email="user3@example.com").exists()
