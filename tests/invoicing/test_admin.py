"""Finance in the admin: lists invoices and credit notes, opens their PDF, and sends them again
(a dispatch queued for the mail task); other staff see none of it; nobody edits a document."""

import pytest
from django.test import Client

from invoicing import services
from invoicing.models import Dispatch, Document
from orders.services import picking
from tests.invoicing.test_numbering import picked_orders
from tests.orders.helpers import make_staff

pytestmark = pytest.mark.django_db


def test_finance_lists_opens_and_resends_documents_and_warehouse_staff_see_none() -> None:
    [order_id] = picked_orders(1)
    picking.pack_order(order_id)
    invoice = services.issue_invoice(order_id)
    finance = Client()
    finance.force_login(make_staff("Finance", "invoicing"))
    listing = finance.get("/admin/invoicing/document/")
    assert listing.status_code == 200 and invoice.number in listing.content.decode()
    pdf = finance.get(f"/admin/invoicing/document/{invoice.pk}/render/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sent = finance.post(
        "/admin/invoicing/document/", {"action": "resend", "_selected_action": [invoice.pk]}, follow=True
    )
    assert "1 document(s) queued to be sent again." in sent.content.decode()
    assert Dispatch.objects.filter(document=invoice).count() == 2  # at issue, and again
    page = finance.get(f"/admin/invoicing/document/{invoice.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content  # read-only

    warehouse = Client()
    warehouse.force_login(make_staff("Warehouse", "orders"))
    assert warehouse.get("/admin/invoicing/document/").status_code == 403
    assert warehouse.get(f"/admin/invoicing/document/{invoice.pk}/render/pdf/").status_code == 403
    assert Document.objects.count() == 1
