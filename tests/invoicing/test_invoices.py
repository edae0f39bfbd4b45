"""Invoices and credit notes (docs/decisions/0053): issued from the order events, with exact lines
and VAT per rate, credit notes that share a refund over the rates, immutable in the database, and
a customer's own documents over the API (another customer's answer 404)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import DatabaseError, transaction
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from events.consumer import ConsumedEvent
from events.contracts import unpack_envelope
from events.models import OutboxEvent
from invoicing import services
from invoicing.consumers import InvoicingFromOrders
from invoicing.models import Dispatch, Document, DocumentLine
from orders.services import lifecycle, refunds
from payments.models import Payment
from tests.api.test_schema import check
from tests.orders.helpers import make_customer, make_shop
from tests.orders.vat_helpers import german_rates, pick_and_pack, placed_order, vat_items
from tests.payments.helpers import run_pending

pytestmark = pytest.mark.django_db


def consume(event_type: str) -> None:
    """What the invoicing.documents consumer does with each such event in the outbox."""
    consumer = InvoicingFromOrders()
    handler = consumer.handler_for(event_type)
    assert handler is not None
    for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id"):
        envelope, payload = unpack_envelope(bytes(row.payload))
        handler(ConsumedEvent(envelope, payload))


def rows(document: Document) -> list[tuple[str, str, str, str]]:
    return [(line.description, f"{line.tax_rate}", f"{line.vat}", f"{line.gross}") for line in document.lines.all()]


@pytest.fixture
def invoiced() -> Document:
    shop = make_shop()
    german_rates()
    wine, basket = vat_items(shop)
    order = pick_and_pack(placed_order(shop, wine), shop, basket)
    consume("order.picked")
    consume("order.picked")  # a redelivered event issues nothing more
    return Document.objects.get(order=order)


def test_packing_invoices_the_captured_amount_with_each_lines_vat_and_the_fee(invoiced: Document) -> None:
    assert invoiced.kind == "invoice" and invoiced.number.endswith(f"-{invoiced.sequence:06d}")
    assert invoiced.number.startswith(f"SHOP-INV-{invoiced.year}-")
    assert rows(invoiced) == [
        ("Milk 1 l", "7.00", "0.16", "2.40"),
        ("Gift apples, loose", "19.00", "0.89", "5.60"),
        ("Wine", "19.00", "1.44", "8.99"),
        ("Delivery", "19.00", "0.62", "3.90"),
    ]
    assert (invoiced.net, invoiced.vat, invoiced.gross) == (D("17.78"), D("3.11"), D("20.89"))
    captured = Payment.objects.get(pk=invoiced.order.payment_id).captured_amount
    assert invoiced.gross == captured == invoiced.order.final_total
    assert invoiced.seller["vat_id"] == "DE123456789" and invoiced.buyer["name"] == "Ann Shopper"
    assert invoiced.buyer["address"] == "Invalidenstr. 1, 10115 Berlin, DE"
    assert [m.to for m in mail.outbox] == [] and Dispatch.objects.filter(document=invoiced).count() == 1
    assert services.send_dispatch(Dispatch.objects.get(document=invoiced).pk)
    [sent] = mail.outbox
    assert sent.to == [invoiced.buyer["email"]] and sent.attachments[0][0] == f"{invoiced.number}.pdf"
    assert sent.attachments[0][1].startswith(b"%PDF")


def test_each_refund_gets_a_credit_note_shared_over_the_rates_and_a_full_one_nets_to_zero(
    invoiced: Document,
) -> None:
    order = invoiced.order
    lifecycle.record_delivered(order.ref, at=datetime.now(UTC))
    payment = Payment.objects.get(pk=order.payment_id)
    refunds.refund_order(order.pk, amount=D("5.00"), reason="bruised", idempotency_key="r1")
    run_pending(payment)
    consume("payment.refunded")
    [partial] = Document.objects.filter(kind="credit_note")
    # 5.00 over 18.49 at 19% and 2.40 at 7%: 4.43 and 0.57 (largest remainder), VAT per share.
    assert rows(partial) == [
        ("Refund: bruised (19% VAT)", "19.00", "0.71", "4.43"),
        ("Refund: bruised (7% VAT)", "7.00", "0.04", "0.57"),
    ]
    assert (partial.invoice_id, partial.gross, partial.vat, partial.number) == (
        invoiced.pk,
        D("5.00"),
        D("0.75"),
        f"SHOP-CN-{partial.year}-{partial.sequence:06d}",
    )
    refunds.refund_order(order.pk, amount=None, reason="all of it", idempotency_key="r2")
    run_pending(payment)
    consume("payment.refunded")  # the first refund's event again, and the second
    notes = Document.objects.filter(kind="credit_note").order_by("sequence")
    assert [note.gross for note in notes] == [D("5.00"), D("15.89")]
    assert sum(note.vat for note in notes) == invoiced.vat  # exactly the invoice's VAT back
    with pytest.raises(services.CreditExceedsInvoice):
        services.issue_credit_note(order.pk, refund_ref="refund:manual", amount=D("0.01"))


def test_issued_documents_cannot_be_changed_or_deleted_even_in_sql(invoiced: Document) -> None:
    for change in (
        lambda: Document.objects.filter(pk=invoiced.pk).update(gross=D("1.00")),
        lambda: DocumentLine.objects.filter(document=invoiced).update(vat=D("0.00")),
        lambda: DocumentLine.objects.filter(document=invoiced).delete(),
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            change()
    assert Document.objects.get(pk=invoiced.pk).gross == D("20.89")


def test_customers_download_their_own_documents_and_another_customers_are_404(invoiced: Document) -> None:
    order = invoiced.order
    urls = [path("api/v1/", include("invoicing.api.urls"))]
    schema = SchemaGenerator(patterns=urls).get_schema(request=None, public=True)
    validate_schema(schema)
    base = "/api/v1/orders/{order_id}/invoices/"
    owner = APIClient(raise_request_exception=False)
    owner.force_authenticate(order.customer)
    listed = owner.get(f"/api/v1/orders/{order.pk}/invoices/")
    check(schema, "GET", base, listed)
    [entry] = listed.json()["results"]
    assert (entry["number"], entry["gross"], entry["vat"]) == (invoiced.number, "20.89", "3.11")
    detail = owner.get(entry["links"]["self"])
    check(schema, "GET", base + "{document_id}/", detail)
    assert [(r["rate"], r["vat"], r["gross"]) for r in detail.json()["vat_breakdown"]["rates"]] == [
        ("19.00", "2.95", "18.49"),
        ("7.00", "0.16", "2.40"),
    ]
    pdf = owner.get(entry["links"]["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    html = owner.get(entry["links"]["html"])
    assert html.status_code == 200 and invoiced.number in html.content.decode() and "18.49" in html.content.decode()

    stranger, _ = make_customer()
    other = APIClient(raise_request_exception=False)
    other.force_authenticate(stranger)
    for url in (
        f"/api/v1/orders/{order.pk}/invoices/",
        entry["links"]["self"],
        entry["links"]["pdf"],
        entry["links"]["html"],
    ):
        response = other.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] in ("order_not_found", "invoice_not_found")
    check(schema, "GET", base, other.get(f"/api/v1/orders/{order.pk}/invoices/"))
    check(schema, "GET", base + "{document_id}/", other.get(entry["links"]["self"]))
    check(schema, "GET", base, APIClient().get(f"/api/v1/orders/{order.pk}/invoices/"))
