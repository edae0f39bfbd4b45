"""Browser front ends on configured origins may call the API (and only the API)."""

from typing import Any

import pytest

from tests.api.support import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_origin(settings: Any) -> str:
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    return "https://shop.example.com"


def preflight(path: str, origin: str) -> Any:
    return api().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_a_configured_origin_may_call_the_api_with_a_bearer_token(shop_origin: str) -> None:
    response = preflight("/api/v1/auth/login/", shop_origin)
    assert response["Access-Control-Allow-Origin"] == shop_origin
    assert {"authorization", "content-type"} <= set(response["Access-Control-Allow-Headers"].split(", "))
    assert "Access-Control-Allow-Credentials" not in response  # tokens, not cookies
    simple = api().get("/api/v1/catalog/products/", HTTP_ORIGIN=shop_origin)
    assert simple["Access-Control-Allow-Origin"] == shop_origin
    assert {"x-request-id", "retry-after", "x-cache"} <= set(simple["Access-Control-Expose-Headers"].split(", "))


def test_other_origins_and_non_api_paths_get_no_cors_headers(shop_origin: str) -> None:
    assert "Access-Control-Allow-Origin" not in preflight("/api/v1/auth/login/", "https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in preflight("/admin/login/", shop_origin)
