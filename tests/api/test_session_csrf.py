"""The session (for staff trying the API from the docs page) never opens a CSRF hole: an unsafe
request authenticated by the session cookie needs the CSRF token; a bearer-token request needs
none and is never authenticated by a cookie that happens to come along."""

import pytest
from django.test import Client

from tests.api.support import make_customer, token_for

pytestmark = pytest.mark.django_db


def test_a_session_write_without_the_csrf_token_is_refused() -> None:
    user = make_customer(first_name="Ann")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/me/").status_code == 200
    response = browser.patch("/api/v1/me/", {"first_name": "Mallory"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "CSRF" in response.json()["message"]
    user.refresh_from_db()
    assert user.first_name == "Ann"


def test_a_bearer_token_write_needs_no_csrf_token_and_wins_over_a_session_cookie() -> None:
    ann, bob = make_customer("ann@example.com"), make_customer("bob@example.com")
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)  # a cookie of another account rides along
    response = client.patch(
        "/api/v1/me/",
        {"first_name": "Annie"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(ann)}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "ann@example.com"
