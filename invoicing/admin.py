"""Back office for finance: invoices and credit notes (read-only: issued documents never change),
their HTML and PDF, and "send again" through the same service as everything else."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from core.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from invoicing import rendering, selectors, services
from invoicing.models import Dispatch, Document, DocumentLine


class LineInline(ReadOnlyInline):
    model = DocumentLine
    fields = ("position", "sku", "description", "quantity", "unit", "unit_price", "tax_rate", "net", "vat", "gross")
    readonly_fields = fields
    ordering = ("position",)


class DispatchInline(ReadOnlyInline):
    model = Dispatch
    fields = ("to_email", "requested_by", "requested_at", "sent_at")
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "issued_at", "order_id", "customer", "currency", "net", "vat", "gross", "files")
    list_filter = ("kind", "year", "entity")
    list_select_related = ("customer",)
    search_fields = ("number", "order__id", "customer__email")
    date_hierarchy = "issued_at"
    fields = (
        "number",
        "kind",
        "issued_at",
        "order",
        "invoice",
        "refund_ref",
        "reason",
        "customer",
        "seller",
        "buyer",
        "currency",
        "net",
        "vat",
        "gross",
        "files",
    )
    readonly_fields = fields
    inlines = (LineInline, DispatchInline)
    actions = ("resend",)

    @admin.display(description="files")
    def files(self, obj: Document) -> str:
        return format_html(
            '<a href="{}">HTML</a> · <a href="{}">PDF</a>',
            reverse("admin:invoicing_document_render", args=(obj.pk, "html")),
            reverse("admin:invoicing_document_render", args=(obj.pk, "pdf")),
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("invoicing.resend_document"))

    @admin.action(description="Send the selected documents to their buyers again", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        actor: Any = request.user
        for document_id in queryset.values_list("pk", flat=True):
            services.resend_document(document_id, actor=actor)
        self.message_user(request, f"{queryset.count()} document(s) queued to be sent again.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        page = path(
            "<int:document_id>/render/<str:fmt>/",
            self.admin_site.admin_view(self.render_document),
            name="invoicing_document_render",
        )
        return [page, *super().get_urls()]

    def render_document(self, request: HttpRequest, document_id: int, fmt: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in ("html", "pdf"):
            raise Http404("HTML or PDF.")
        document = selectors.document_of(document_id)
        if fmt == "pdf":
            response = HttpResponse(rendering.render_pdf(document), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
            return response
        return HttpResponse(rendering.render_html(document), content_type="text/html; charset=utf-8")
