"""The OpenAPI document matches the server: it generates without warnings, is valid OpenAPI 3, and
real responses (successes and errors) have a status the operation declares and the declared shape,
with no undeclared fields."""

from typing import Any

import pytest
import yaml
from django.contrib.auth.models import Group
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from jsonschema import Draft7Validator

from accounts import services as accounts
from accounts.roles import CATALOG_MANAGER
from tests.api.support import PASSWORD, api, make_customer, signed_in
from tests.catalog import factories

pytestmark = pytest.mark.django_db

OUR_URLS = [path("api/v1/", include([path("", include("accounts.api.urls")), path("", include("catalog.api.urls"))]))]


def our_schema() -> dict[str, Any]:
    return SchemaGenerator(patterns=OUR_URLS).get_schema(request=None, public=True)


def test_the_schema_of_these_endpoints_generates_without_warnings_and_is_valid() -> None:
    GENERATOR_STATS.reset()
    schema = our_schema()
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._warn_cache)
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/login/` or `/auth/register/`.",
    }
    assert set(schema["paths"]) == {
        "/api/v1/auth/register/",
        "/api/v1/auth/login/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/email/verify/",
        "/api/v1/auth/email/confirm/",
        "/api/v1/auth/password-reset/",
        "/api/v1/auth/password-reset/confirm/",
        "/api/v1/me/",
        "/api/v1/me/email/",
        "/api/v1/me/email/verification/",
        "/api/v1/me/export/",
        "/api/v1/me/export/download/",
        "/api/v1/me/password/",
        "/api/v1/me/addresses/",
        "/api/v1/me/addresses/{address_id}/",
        "/api/v1/catalog/categories/",
        "/api/v1/catalog/products/",
        "/api/v1/catalog/products/{product_id}/",
        "/api/v1/staff/catalog/variants/{variant_id}/",
    }
    listing = schema["paths"]["/api/v1/catalog/products/"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "category",
        "brand",
        "price_min",
        "price_max",
        "attr",
        "sort",
        "page",
        "page_size",
    }
    assert {"200", "400", "401", "404", "429"} <= set(listing["responses"])
    assert "Retry-After" in listing["responses"]["429"]["headers"]


def test_the_served_document_and_the_docs_page() -> None:
    response = api().get("/api/schema/")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert "/api/v1/catalog/products/" in served["paths"] and "/api/v1/me/addresses/" in served["paths"]
    docs = api().get("/api/docs/")
    assert docs.status_code == 200 and b"/api/schema/" in docs.content


# --- responses against the schema ----------------------------------------------------------------


def to_json_schema(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: refs inlined, `nullable` as a null type, and objects
    closed (a field the server sends but the schema does not declare is a mismatch)."""
    if isinstance(node, list):
        return [to_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {
        key: to_json_schema(value, components)
        for key, value in node.items()
        if key not in ("nullable", "readOnly", "writeOnly", "format", "example", "description", "properties")
    }
    if "properties" in node:
        out["properties"] = {name: to_json_schema(value, components) for name, value in node["properties"].items()}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def check(schema: dict[str, Any], method: str, template: str, response: Any) -> None:
    operation = schema["paths"][template][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (method, template, status, sorted(operation["responses"]))
    declared = operation["responses"][status]
    if "content" not in declared:
        assert not response.content
        return
    body_schema = to_json_schema(declared["content"]["application/json"]["schema"], schema["components"]["schemas"])
    errors = sorted(Draft7Validator(body_schema).iter_errors(response.json()), key=str)
    assert not errors, (method, template, status, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_real_responses_match_the_schema(settings: Any) -> None:
    schema = our_schema()
    fruit = factories.category("Fruit")
    apples = factories.product("Apples", fruit, brand=factories.brand(), attributes={"organic": True})
    factories.product("Bananas", fruit, variants=[{"price": "1.99", "unit": "kg", "step": "0.1"}])
    manager = accounts.create_staff_member(email="cat@example.com", password="shelf-stacker-2024")
    manager.groups.add(Group.objects.get(name=CATALOG_MANAGER))
    customer = make_customer("ann@example.com")
    client, staff = signed_in(customer), signed_in(manager)
    variant = apples.variants.get()

    def run(method: str, template: str, response: Any) -> Any:
        check(schema, method, template, response)
        return response

    products, product = "/api/v1/catalog/products/", "/api/v1/catalog/products/{product_id}/"
    run("GET", products, api().get(products, {"page_size": 1}))
    run("GET", products, api().get(products, {"q": "apple"}))
    run("GET", products, api().get(products, {"price_min": "x"}))
    run("GET", product, api().get(f"/api/v1/catalog/products/{apples.pk}/"))
    run("GET", product, api().get("/api/v1/catalog/products/999999/"))
    run("GET", "/api/v1/catalog/categories/", api().get("/api/v1/catalog/categories/"))

    register = "/api/v1/auth/register/"
    run("POST", register, api().post(register, {"email": "bob@example.com", "password": PASSWORD}))
    run("POST", register, api().post(register, {"email": "bob@example.com", "password": PASSWORD}))
    run("POST", register, api().post(register, "email=x", content_type="application/x-www-form-urlencoded"))
    login = "/api/v1/auth/login/"
    run("POST", login, api().post(login, {"email": "ann@example.com", "password": PASSWORD}))
    run("POST", login, api().post(login, {"email": "ann@example.com", "password": "wrong-one-1"}))

    me = "/api/v1/me/"
    run("GET", me, client.get(me))
    run("GET", me, api().get(me))
    run("PATCH", me, client.patch(me, {"first_name": "Ann", "version": 1}))
    run("PATCH", me, client.patch(me, {"first_name": "Annie", "version": 1}))
    run(
        "POST",
        "/api/v1/me/password/",
        client.post("/api/v1/me/password/", {"current_password": PASSWORD, "new_password": "green-pear-77-x"}),
    )

    addresses, address = "/api/v1/me/addresses/", "/api/v1/me/addresses/{address_id}/"
    made = run(
        "POST",
        addresses,
        client.post(
            addresses,
            {"recipient_name": "Ann", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        ),
    ).json()
    run("GET", addresses, client.get(addresses))
    run("GET", address, client.get(f"{addresses}{made['id']}/"))
    run("PATCH", address, client.patch(f"{addresses}{made['id']}/", {"city": "Berlin-Mitte", "version": 1}))
    run("PATCH", address, client.patch(f"{addresses}{made['id']}/", {"city": "Berlin", "version": 1}))
    run("DELETE", address, client.delete(f"{addresses}{made['id']}/"))

    reset = "/api/v1/auth/password-reset/"
    run("POST", reset, api().post(reset, {"email": "ann@example.com"}))
    run("POST", reset, api().post(reset, {"email": "not-an-address"}))
    confirm = "/api/v1/auth/password-reset/confirm/"
    run("POST", confirm, api().post(confirm, {"uid": "MQ", "token": "x-y", "new_password": "green-pear-78-x"}))
    for template in ("/api/v1/auth/email/verify/", "/api/v1/auth/email/confirm/"):
        run("POST", template, api().post(template, {"token": "forged"}))
    email = "/api/v1/me/email/"
    run("POST", email, client.post(email, {"email": "ann.lee@example.com", "current_password": "green-pear-77-x"}))
    run("POST", email, client.post(email, {"email": "ann.lee@example.com", "current_password": "wrong"}))
    run("POST", "/api/v1/me/email/verification/", client.post("/api/v1/me/email/verification/"))
    run("GET", "/api/v1/me/export/", client.get("/api/v1/me/export/"))
    download = "/api/v1/me/export/download/"
    run("GET", download, api().get(download, {"token": "forged"}))
    run("DELETE", me, client.delete(me, {"password": "wrong"}))
    run("DELETE", me, signed_in(manager).delete(me, {"password": "shelf-stacker-2024"}))

    staff_variant = "/api/v1/staff/catalog/variants/{variant_id}/"
    url = f"/api/v1/staff/catalog/variants/{variant.pk}/"
    run("GET", staff_variant, staff.get(url))
    run("PATCH", staff_variant, staff.patch(url, {"price": "1.50", "version": 1}))
    run("PATCH", staff_variant, staff.patch(url, {"price": "1.40", "version": 1}))
    run("PATCH", staff_variant, client.patch(url, {"price": "0.01", "version": 2}))

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"},
    }
    api(REMOTE_ADDR="10.9.9.9").get(products)
    run("GET", products, api(REMOTE_ADDR="10.9.9.9").get(products))
    run("POST", "/api/v1/auth/logout/", client.post("/api/v1/auth/logout/"))
