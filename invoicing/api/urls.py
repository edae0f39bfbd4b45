from django.urls import path

from invoicing.api import views

app_name = "invoicing"

urlpatterns = [
    path("orders/<int:order_id>/invoices/", views.OrderInvoicesView.as_view(), name="order-invoices"),
    path("orders/<int:order_id>/invoices/<int:document_id>/", views.OrderInvoiceView.as_view(), name="order-invoice"),
    path(
        "orders/<int:order_id>/invoices/<int:document_id>/pdf/",
        views.OrderInvoicePdfView.as_view(),
        name="order-invoice-pdf",
    ),
    path(
        "orders/<int:order_id>/invoices/<int:document_id>/html/",
        views.OrderInvoiceHtmlView.as_view(),
        name="order-invoice-html",
    ),
]
