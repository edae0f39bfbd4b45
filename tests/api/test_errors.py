"""One error body everywhere under /api/: `{"code", "message", "fields"}` with the fitting status,
for DRF's errors, domain errors, paths no view serves, and bugs (a JSON 500)."""

import pytest
from django.test import Client

from tests.api.support import api, error_of, make_customer, signed_in
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def test_validation_errors_name_the_fields() -> None:
    body = error_of(api().post("/api/v1/auth/login/", {"email": "not-an-email"}), 400, "invalid")
    assert body["message"] == "The request has invalid fields."
    assert body["fields"] == {"email": ["Enter a valid email address."], "password": ["This field is required."]}


def test_a_body_that_is_not_an_object_is_a_400_with_a_message() -> None:
    body = error_of(api().post("/api/v1/auth/login/", [1, 2], format="json"), 400, "invalid")
    assert "Expected a dictionary" in body["message"] and body["fields"] == {}


def test_malformed_json_is_a_400() -> None:
    response = api().generic("POST", "/api/v1/auth/login/", b'{"email": ', content_type="application/json")
    assert "JSON parse error" in error_of(response, 400, "malformed_request")["message"]


def test_a_form_encoded_body_is_a_415() -> None:
    response = api().post(
        "/api/v1/auth/login/", "email=a%40b.c&password=x", content_type="application/x-www-form-urlencoded"
    )
    error_of(response, 415, "unsupported_media_type")


def test_unauthenticated_unauthorised_and_unknown() -> None:
    error_of(api().get("/api/v1/me/addresses/"), 401, "not_authenticated")
    customer = signed_in(make_customer())
    error_of(customer.get("/api/v1/staff/catalog/variants/1/"), 403, "permission_denied")
    error_of(customer.get("/api/v1/me/addresses/424242/"), 404, "not_found")
    error_of(api().get("/api/v1/catalog/products/424242/"), 404, "not_found")


def test_a_method_the_resource_does_not_have_is_a_405() -> None:
    response = api().delete("/api/v1/catalog/products/")
    error_of(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_a_path_that_no_view_serves_answers_json_under_api_and_html_elsewhere() -> None:
    error_of(api().get("/api/v1/no/such/thing/"), 404, "not_found")
    error_of(api().get("/api/v2/catalog/products/"), 404, "not_found")
    error_of(api().get("/api/v1/me/addresses/abc/"), 404, "not_found")
    assert api().get("/no/such/page/")["Content-Type"].startswith("text/html")


def test_an_unacceptable_accept_header_is_a_406() -> None:
    error_of(api().get("/api/v1/catalog/products/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_a_conflict_is_a_409() -> None:
    client = signed_in(make_customer())
    made = client.post(
        "/api/v1/me/addresses/",
        {"recipient_name": "A", "line1": "B", "city": "Berlin", "postal_code": "10115", "country": "DE"},
    ).json()
    client.patch(f"/api/v1/me/addresses/{made['id']}/", {"line2": "x", "version": 1})
    body = error_of(
        client.patch(f"/api/v1/me/addresses/{made['id']}/", {"line2": "y", "version": 1}), 409, "stale_version"
    )
    assert body["fields"] == {}


@pytest.mark.urls("tests.api.failing_urls")
def test_a_bug_is_a_json_500_under_api_that_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    for path in ("/api/v1/test/failing-drf/", "/api/v1/test/failing-plain/"):
        response = client.get(path)
        body = error_of(response, 500, "server_error")
        assert "bug" not in body["message"] and "Boom" not in response.content.decode()
        assert response["X-Request-ID"]
    assert any("a bug in a DRF view" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)
    assert client.get("/elsewhere/failing/")["Content-Type"].startswith("text/html")


def test_errors_are_json_even_when_the_catalog_is_cached() -> None:
    factories.product("Apples")
    api().get("/api/v1/catalog/products/")
    error_of(api().get("/api/v1/catalog/products/", {"page": "2"}), 404, "page_not_found")
