from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/email/verify/", views.EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/email/confirm/", views.EmailChangeConfirmView.as_view(), name="auth-email-confirm"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm/", views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/email/", views.EmailChangeView.as_view(), name="me-email"),
    path("me/email/verification/", views.EmailVerificationResendView.as_view(), name="me-email-verification"),
    path("me/export/", views.DataExportView.as_view(), name="me-export"),
    path("me/export/download/", views.DataExportDownloadView.as_view(), name="me-export-download"),
    path("me/password/", views.PasswordView.as_view(), name="me-password"),
    path("me/addresses/", views.AddressListView.as_view(), name="me-addresses"),
    path("me/addresses/<int:address_id>/", views.AddressDetailView.as_view(), name="me-address"),
]
