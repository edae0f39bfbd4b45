"""`me/`: the customer's own profile, with user.updated events, optimistic locking and fields a
customer must not set."""

import pytest

from accounts.models import User
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from proto.events.v1 import users_pb2
from tests.api.support import api, error_of, make_customer, signed_in

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def updated_events() -> list[users_pb2.UserUpdated]:
    rows = OutboxEvent.objects.filter(event_type="user.updated").order_by("id")
    return [unpack_envelope(bytes(row.payload))[1] for row in rows]  # type: ignore[misc]


def test_me_needs_a_token() -> None:
    response = api().get(ME)
    error_of(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_customer_changes_their_name_and_phone_and_an_event_says_what_changed() -> None:
    user = make_customer(first_name="Ann")
    response = signed_in(user).patch(
        ME, {"first_name": "Anna", "last_name": " Lee ", "phone": "0049 30 1234567", "version": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json() | {"id": 0, "date_joined": ""} == {
        "id": 0,
        "date_joined": "",
        "email": "ann@example.com",
        "email_verified": False,
        "first_name": "Anna",
        "last_name": "Lee",
        "phone": "+49301234567",
        "version": 2,
    }
    [event] = updated_events()
    assert list(event.changed_fields) == ["first_name", "last_name", "phone"]
    assert (event.user_id, event.email, event.first_name, event.last_name) == (str(user.pk), user.email, "Anna", "Lee")


def test_nothing_changed_means_no_new_version_and_no_event() -> None:
    user = make_customer(first_name="Ann")
    assert signed_in(user).patch(ME, {"first_name": "Ann"}).json()["version"] == 1
    assert updated_events() == []


def test_a_new_email_is_not_set_through_the_profile() -> None:
    """It changes only once a link sent to it was opened (tests/accounts/test_account_emails.py)."""
    user = make_customer("ann@example.com")
    client = signed_in(user)
    error_of(client.patch(ME, {"email": "ann.lee@example.com"}), 400, "email_change_needs_confirmation")
    assert client.patch(ME, {"email": "ann@example.com", "first_name": "Ann"}).json()["email"] == "ann@example.com"
    assert [list(e.changed_fields) for e in updated_events()] == [["first_name"]]


def test_a_stale_version_is_a_409_and_changes_nothing() -> None:
    user = make_customer(first_name="Ann")
    client = signed_in(user)
    client.patch(ME, {"first_name": "Anna", "version": 1})
    error_of(client.patch(ME, {"first_name": "Annie", "version": 1}), 409, "stale_version")
    user.refresh_from_db()
    assert (user.first_name, user.version) == ("Anna", 2)


@pytest.mark.parametrize(
    "forbidden",
    [
        {"is_staff": True},
        {"is_superuser": True},
        {"is_active": False},
        {"groups": [1]},
        {"user_permissions": [1]},
        {"password": "new-password-123"},
        {"id": 999},
        {"date_joined": "2020-01-01T00:00:00Z"},
        {"last_login": None},
    ],
)
def test_fields_a_customer_must_not_set_are_refused_and_nothing_changes(forbidden: dict[str, object]) -> None:
    user = make_customer(first_name="Ann")
    before = User.objects.filter(pk=user.pk).values().get()
    body = error_of(signed_in(user).patch(ME, {"first_name": "Mallory", **forbidden}), 400, "invalid")
    assert list(body["fields"]) == list(forbidden)
    assert User.objects.filter(pk=user.pk).values().get() == before
    assert updated_events() == []


def test_put_is_not_allowed_on_me_and_delete_needs_the_password() -> None:
    client = signed_in(make_customer())
    error_of(client.put(ME, {"first_name": "X"}), 405, "method_not_allowed")
    assert error_of(client.delete(ME), 400, "invalid")["fields"] == {"password": ["This field is required."]}
