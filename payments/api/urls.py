from django.urls import path

from payments.api import views

app_name = "payments"

urlpatterns = [
    path("payments/webhooks/<str:gateway>/", views.WebhookView.as_view(), name="webhook"),
    path("staff/payments/", views.StaffPaymentListView.as_view(), name="staff-payments"),
    path("staff/payments/<int:payment_id>/", views.StaffPaymentDetailView.as_view(), name="staff-payment"),
    path("staff/payments/<int:payment_id>/capture/", views.StaffCaptureView.as_view(), name="staff-payment-capture"),
    path("staff/payments/<int:payment_id>/void/", views.StaffVoidView.as_view(), name="staff-payment-void"),
    path("staff/payments/<int:payment_id>/refund/", views.StaffRefundView.as_view(), name="staff-payment-refund"),
]
