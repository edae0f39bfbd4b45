"""The demo data loads (twice, without duplicates), every delivery admin page opens, and the
OpenAPI schema describes the delivery endpoints."""

import pytest
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from delivery import demo
from delivery.models import Courier, DeliverySlot, SlotTemplate, Zone, ZonePostalCode
from delivery.selectors import resolve_zone
from tests.delivery.factories import make_dispatcher

pytestmark = pytest.mark.django_db


def test_the_demo_data_loads_idempotently_and_resolves_berlin() -> None:
    lines = demo.load()
    assert len(lines) == 1 and lines[0].startswith("Delivery: zones Berlin Mitte")
    counts = (
        Zone.objects.count(),
        ZonePostalCode.objects.count(),
        SlotTemplate.objects.count(),
        DeliverySlot.objects.count(),
        Courier.objects.count(),
    )
    assert counts[:3] == (2, 6, 2 * 7 * 14) and counts[4] == 3
    assert 2 * 6 * 14 <= counts[3] <= 2 * 7 * 14  # today's windows past their cut-off are skipped

    demo.load()
    assert (
        Zone.objects.count(),
        ZonePostalCode.objects.count(),
        SlotTemplate.objects.count(),
        DeliverySlot.objects.count(),
        Courier.objects.count(),
    ) == counts
    assert resolve_zone("DE", "10117").zone.code == "berlin-mitte"
    assert resolve_zone("DE", "10178").zone.code == "berlin-centre"


def test_every_delivery_admin_page_opens_for_a_dispatcher() -> None:
    demo.load()
    client = Client()
    client.force_login(make_dispatcher())
    for page in ("zone", "courier", "deliveryslot", "shipment", "slothold", "deliveryorder", "dispatchnotification"):
        assert client.get(f"/admin/delivery/{page}/").status_code == 200, page
    zone = Zone.objects.get(code="berlin-mitte")
    assert client.get(f"/admin/delivery/zone/{zone.pk}/change/").status_code == 200
    slot = DeliverySlot.objects.first()
    assert slot is not None and client.get(f"/admin/delivery/deliveryslot/{slot.pk}/change/").status_code == 200


def test_postal_codes_entered_in_the_admin_are_normalised() -> None:
    client = Client()
    client.force_login(make_dispatcher())
    response = client.post(
        "/admin/delivery/zone/add/",
        {
            "code": "kreuzberg",
            "name": "Kreuzberg",
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "delivery_fee": "2.90",
            "minimum_order": "10.00",
            "is_active": "on",
            "postal_codes-TOTAL_FORMS": 1,
            "postal_codes-INITIAL_FORMS": 0,
            "postal_codes-0-country": "de",
            "postal_codes-0-match": "prefix",
            "postal_codes-0-value": "109 ",
            "slot_templates-TOTAL_FORMS": 0,
            "slot_templates-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(ZonePostalCode.objects.values_list("country", "value")) == [("DE", "109")]


def test_the_openapi_schema_describes_the_delivery_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    GENERATOR_STATS.reset()  # warnings are printed once per process: make this run print its own
    schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = capsys.readouterr().err
    assert "delivery" not in warnings and "Status" not in warnings, warnings
    paths = schema["paths"]
    for path in (
        "/api/v1/delivery/slots/",
        "/api/v1/delivery/holds/",
        "/api/v1/delivery/holds/{hold_id}/",
        "/api/v1/delivery/holds/{hold_id}/extend/",
        "/api/v1/delivery/shipments/{order_ref}/",
        "/api/v1/staff/delivery/slots/{slot_id}/",
        "/api/v1/staff/delivery/shipments/{shipment_id}/transition/",
        "/api/v1/staff/delivery/shipments/{shipment_id}/assign/",
    ):
        assert path in paths, path
    slot_params = {p["name"] for p in paths["/api/v1/delivery/slots/"]["get"]["parameters"]}
    assert {"postal_code", "country", "date", "days", "subtotal"} <= slot_params
    assert "409" in paths["/api/v1/staff/delivery/shipments/{shipment_id}/transition/"]["post"]["responses"]
    assert "ShipmentStatusEnum" in schema["components"]["schemas"]
