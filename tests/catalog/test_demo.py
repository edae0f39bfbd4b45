"""The demo data: a grocery catalog (some of it sold by weight) and a customer who can sign in;
loading it again duplicates nothing."""

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_CUSTOMER_EMAIL, DEMO_CUSTOMER_PASSWORD
from catalog.models import Category, Product, Variant
from tests.api.support import api

pytestmark = pytest.mark.django_db


def test_the_demo_catalog_loads_once_and_the_demo_customer_signs_in(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo_data")
    counts = (Category.objects.count(), Product.objects.count(), Variant.objects.count())
    call_command("load_demo_data")
    assert (Category.objects.count(), Product.objects.count(), Variant.objects.count()) == counts
    assert counts[1] >= 20
    output = capsys.readouterr().out
    assert f"Customer login (API, POST /api/v1/auth/login/): {DEMO_CUSTOMER_EMAIL} / {DEMO_CUSTOMER_PASSWORD}" in output

    fruit_veg = Category.objects.get(slug="fruit-veg")
    assert Category.objects.get(slug="fruit").parent == fruit_veg
    bananas = api().get("/api/v1/catalog/products/", {"q": "bananas"}).json()["results"][0]
    assert bananas["name"] == "Bananas"
    assert (bananas["variants"][0]["unit"], bananas["variants"][0]["step"]) == ("kg", "0.1")
    in_fruit_veg = api().get("/api/v1/catalog/products/", {"category": "fruit-veg", "page_size": 100}).json()
    assert in_fruit_veg["count"] == Product.objects.filter(category__path__startswith=fruit_veg.path).count() > 5

    login = api().post("/api/v1/auth/login/", {"email": DEMO_CUSTOMER_EMAIL, "password": DEMO_CUSTOMER_PASSWORD})
    assert login.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert client.get("/api/v1/me/addresses/").json()["results"][0]["postal_code"] == "10115"
