"""Property-based run over the served OpenAPI document (schemathesis): every operation, as an
anonymous visitor, a signed-in customer and staff, with every check; then stateful sequences that
follow the document's links (create, then read, change and delete what was created)."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from accounts.models import User
from config.wsgi import application
from tests.api.support import token_for
from tests.orders.helpers import make_customer, make_shop

pytestmark = [pytest.mark.django_db, pytest.mark.alone]

CONFIG = schemathesis.Config.from_dict(
    {
        # Credentials are the personas' own, never made up (a made-up session cookie is no sign-in).
        "generation": {"mode": "all", "deterministic": True, "with-security-parameters": False},
        "phases": {
            "coverage": {"enabled": False},
            "stateful": {"inference": {"algorithms": ["location-headers", "dependency-analysis"]}},
        },
        # A request the document allows may still be refused by a rule no schema states: an id that
        # names nothing (`variant: 100`), `postal_code` or `address`, a slot in the past. Those are
        # 400/422 with the error body (which the other checks hold the server to), not a failure.
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]}
        },
    }
)
EXAMPLES = settings(
    max_examples=4, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _served() -> Any:
    """The document as the app serves it, through WSGI (no network)."""
    with override_settings(ALLOWED_HOSTS=["localhost"]):  # the WSGI client's host
        return schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


schema = _served()


@pytest.fixture(autouse=True)
def served_app(settings: Any) -> Iterator[None]:
    """The app as the run calls it: on this test's transaction, without rate limits."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {scope: "100000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
    }
    # Like Django's test client: the test's transaction outlives each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def personas() -> dict[str, dict[str, str]]:
    """Who calls: nobody, a customer with an address, and staff who may do everything."""
    make_shop()
    customer, _ = make_customer()
    staff = User.objects.create_user("boss@example.com", None, is_staff=True, is_superuser=True)
    return {
        "anonymous": {},
        "customer": {"Authorization": f"Bearer {token_for(customer)}"},
        "staff": {"Authorization": f"Bearer {token_for(staff)}"},
    }


@schema.parametrize()
@EXAMPLES
def test_every_operation_as_everyone(case: Any, personas: dict[str, dict[str, str]]) -> None:
    for headers in personas.values():
        case.call_and_validate(headers=headers)


def _links(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(source, target) operations of the links in the document (declared or inferred)."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for link in (response.get("links") or {}).values():
                    _, target_path, target_method = link.get("operationRef", "").rsplit("/", 2)
                    target = target_path.replace("~1", "/").replace("~0", "~")
                    yield f"{method.upper()} {path}", f"{target_method.upper()} {target}"


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_sequences_that_follow_the_links(personas: dict[str, dict[str, str]], who: str) -> None:
    """Create, then read, change and delete what was created (links inferred from the document's
    shapes and Location headers), signed in."""
    headers = personas[who]
    machine = schema.as_state_machine()
    linked = {(source, target) for source, target in _links(schema.raw_schema)}
    assert {
        ("POST /api/v1/me/addresses/", "GET /api/v1/me/addresses/{address_id}/"),
        ("POST /api/v1/cart/lines/", "PATCH /api/v1/cart/lines/{line_id}/"),
        ("POST /api/v1/delivery/holds/", "GET /api/v1/delivery/holds/{hold_id}/"),
        ("POST /api/v1/checkout/place/", "GET /api/v1/orders/{order_id}/"),
    } <= linked

    class Workflow(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            # The token is the persona's own (explicit), so the auth checks strip it and expect a 401.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=6,
            stateful_step_count=5,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
