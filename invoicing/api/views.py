"""The customer's invoices and credit notes of one of their orders: a list with links, one
document as JSON, HTML or PDF. Another customer's order or document answers 404."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from invoicing import rendering, selectors
from invoicing.api.serializers import DocumentSerializer, DocumentSummarySerializer
from invoicing.models import Document
from orders.selectors import order_of

NOT_FOUND = OpenApiResponse(description="order_not_found or invoice_not_found (also another customer's)")


def _document(request: Request, order_id: int, document_id: int) -> Document:
    return selectors.document_of(document_id, order_id=order_id, customer=request.user)  # type: ignore[arg-type]


class OrderInvoicesView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination
    serializer_class = DocumentSummarySerializer  # what the schema shows for its GET

    @extend_schema(
        tags=["orders"],
        responses={200: DocumentSummarySerializer(many=True), 404: NOT_FOUND},
        summary="The invoice and credit notes of one of your orders, oldest first, with links to HTML and PDF",
    )
    def get(self, request: Request, order_id: int) -> Response:
        customer = request.user
        assert isinstance(customer, get_user_model())
        order_of(order_id, customer=customer)  # 404 unless the order is theirs
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.documents_of_order(order_id, customer=customer), request, self)
        return paginator.get_paginated_response(DocumentSummarySerializer(page or [], many=True).data)


class OrderInvoiceView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = DocumentSerializer

    @extend_schema(
        tags=["orders"],
        responses={200: DocumentSerializer, 404: NOT_FOUND},
        summary="One invoice or credit note: seller, buyer, lines and VAT per rate",
    )
    def get(self, request: Request, order_id: int, document_id: int) -> Response:
        return Response(DocumentSerializer(_document(request, order_id, document_id)).data)


class OrderInvoicePdfView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: NOT_FOUND},
        summary="Download an invoice or credit note as PDF",
    )
    def get(self, request: Request, order_id: int, document_id: int) -> HttpResponse:
        document = _document(request, order_id, document_id)
        response = HttpResponse(rendering.render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
        return response


class OrderInvoiceHtmlView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        responses={(200, "text/html"): OpenApiTypes.STR, 404: NOT_FOUND},
        summary="An invoice or credit note as an HTML page",
    )
    def get(self, request: Request, order_id: int, document_id: int) -> HttpResponse:
        document = _document(request, order_id, document_id)
        return HttpResponse(rendering.render_html(document), content_type="text/html; charset=utf-8")
