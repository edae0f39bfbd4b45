from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/password/", views.PasswordView.as_view(), name="me-password"),
    path("me/addresses/", views.AddressListView.as_view(), name="me-addresses"),
    path("me/addresses/<int:address_id>/", views.AddressDetailView.as_view(), name="me-address"),
]
