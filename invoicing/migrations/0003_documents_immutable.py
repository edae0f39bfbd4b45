"""Issued documents are immutable in the database itself: UPDATE and DELETE of a document or one
of its lines fail, whoever tries (a service bug, the admin, a hand-written query). A mistake is
corrected by a credit note."""

from django.db import migrations

from core.db.operations import AppendOnly


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0002_documents")]
    operations = [
        AppendOnly(
            "invoicing",
            ["invoicing_document", "invoicing_documentline"],
            "issued invoices and credit notes are immutable: issue a credit note instead",
        )
    ]
