"""Signing in and out: hashed tokens that expire when unused and can be revoked, and sign-in
attempts that are limited per account and per IP."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.models import AccessToken
from tests.api.support import PASSWORD, api, error_of, make_customer, signed_in, token_for

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/me/"


def bearer(token: str) -> Any:
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_issues_a_token_of_which_only_a_hash_is_stored() -> None:
    user = make_customer("ann@example.com")
    response = api().post(LOGIN, {"email": "ANN@example.com", "password": PASSWORD, "device_name": "iPhone"})
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    stored = AccessToken.objects.get(user=user)
    assert token not in {stored.key_hash, stored.prefix} and len(stored.key_hash) == 64
    assert token.startswith(stored.prefix) and stored.name == "iPhone"
    assert bearer(token).get(ME).json()["email"] == "ann@example.com"
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize("email, password", [("ann@example.com", "wrong-password-1"), ("nobody@example.com", PASSWORD)])
def test_wrong_credentials_are_a_401_that_does_not_say_which_part_was_wrong(email: str, password: str) -> None:
    make_customer("ann@example.com")
    response = api().post(LOGIN, {"email": email, "password": password})
    body = error_of(response, 401, "invalid_credentials")
    assert body["message"] == "The email address or password is wrong."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_account_locks_after_repeated_failures_even_for_the_right_password() -> None:
    make_customer("ann@example.com")
    with override_settings(ACCOUNTS_LOGIN_MAX_FAILURES=3, ACCOUNTS_LOGIN_LOCK_SECONDS=600):
        for n in range(3):  # from three different IPs: the lock is per account
            error_of(
                api(REMOTE_ADDR=f"10.0.0.{n}").post(LOGIN, {"email": "ann@example.com", "password": "nope-1234"}), 401
            )
        locked = api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})
        error_of(locked, 429, "too_many_login_attempts")
        assert 0 < int(locked["Retry-After"]) <= 600
        assert api().post(LOGIN, {"email": "bob@example.com", "password": "whatever-123"}).status_code == 401


def test_a_successful_login_resets_the_failure_count() -> None:
    make_customer("ann@example.com")
    with override_settings(ACCOUNTS_LOGIN_MAX_FAILURES=2):
        error_of(api().post(LOGIN, {"email": "ann@example.com", "password": "nope-1234"}), 401)
        assert api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200
        error_of(api().post(LOGIN, {"email": "ann@example.com", "password": "nope-1234"}), 401)
        assert api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200


def test_login_is_rate_limited_per_ip(settings: Any) -> None:
    make_customer("ann@example.com")
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for _ in range(3):
        assert api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200
    response = api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})
    error_of(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 2 * 60


def test_logout_revokes_only_this_devices_token() -> None:
    user = make_customer()
    phone, tablet = token_for(user), token_for(user)
    assert bearer(phone).post("/api/v1/auth/logout/").status_code == 204
    error_of(bearer(phone).get(ME), 401, "authentication_failed")
    assert bearer(tablet).get(ME).status_code == 200


def test_logout_everywhere_revokes_every_token() -> None:
    user = make_customer()
    phone, tablet = token_for(user), token_for(user)
    assert bearer(phone).post("/api/v1/auth/logout/", {"everywhere": True}).status_code == 204
    for token in (phone, tablet):
        error_of(bearer(token).get(ME), 401)


def test_an_unused_token_expires_and_a_used_one_slides_up_to_its_maximum_age() -> None:
    user = make_customer()
    token = token_for(user)
    stored = AccessToken.objects.get(user=user)
    now = timezone.now()

    AccessToken.objects.filter(pk=stored.pk).update(
        last_used_at=now - timedelta(days=1), expires_at=now + timedelta(days=1)
    )
    assert bearer(token).get(ME).status_code == 200
    stored.refresh_from_db()
    assert stored.expires_at > now + timedelta(days=29)  # used: another 30 days

    AccessToken.objects.filter(pk=stored.pk).update(
        created_at=now - timedelta(days=179), last_used_at=now - timedelta(days=1)
    )
    assert bearer(token).get(ME).status_code == 200
    stored.refresh_from_db()
    assert stored.expires_at <= now + timedelta(days=1, minutes=1)  # never past 180 days of age

    AccessToken.objects.filter(pk=stored.pk).update(expires_at=now - timedelta(seconds=1))
    error_of(bearer(token).get(ME), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer cmt_not-a-real-token", "Bearer \u00e9t\u00e9", "Token abc"]
)
def test_a_bad_authorization_header_is_a_401_even_on_public_endpoints(header: str) -> None:
    client = api()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    error_of(response, 401)
    if header.startswith("Bearer"):
        assert client.get("/api/v1/catalog/products/").status_code == 401


def test_a_deactivated_customer_is_signed_out() -> None:
    user = make_customer()
    client = signed_in(user)
    services.update_user_by_staff(user.pk, {"is_active": False})
    error_of(client.get(ME), 401)
    assert not AccessToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_changing_the_password_signs_out_every_other_device() -> None:
    user = make_customer()
    this, other = token_for(user), token_for(user)
    response = bearer(this).post(
        "/api/v1/me/password/", {"current_password": PASSWORD, "new_password": "new-tomato-basket-7"}
    )
    assert response.status_code == 204, response.content
    assert bearer(this).get(ME).status_code == 200
    error_of(bearer(other).get(ME), 401)
    assert api().post(LOGIN, {"email": user.email, "password": "new-tomato-basket-7"}).status_code == 200

    wrong = bearer(this).post("/api/v1/me/password/", {"current_password": "nope", "new_password": "x-y-z-1-2-3-4"})
    error_of(wrong, 400, "wrong_password")
    weak = bearer(this).post(
        "/api/v1/me/password/", {"current_password": "new-tomato-basket-7", "new_password": "12345678"}
    )
    assert "new_password" in error_of(weak, 400)["fields"]
