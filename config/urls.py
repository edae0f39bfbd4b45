from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.html import format_html
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import health, observability

# The back office reads as one product: the shop's name, its logo if configured, and a home page
# that is the dashboard of the signed-in person's roles (reports/backoffice/).
admin.site.site_header = (
    format_html('<img src="{}" alt="" class="shop-logo" height="28"> {}', settings.SHOP_LOGO_URL, settings.SHOP_NAME)
    if settings.SHOP_LOGO_URL
    else settings.SHOP_NAME
)
admin.site.site_title = settings.SHOP_NAME
admin.site.index_title = "What needs doing now"
admin.site.index_template = "admin/backoffice/index.html"

api_v1: list = [  # each domain app adds its `api/urls.py` here as it lands
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("delivery.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("invoicing.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("admin/backoffice/", include("reports.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

# Errors of paths no DRF view serves answer in the API's error body under /api/ (HTML elsewhere).
handler400 = "core.api.exceptions.bad_request"
handler403 = "core.api.exceptions.permission_denied"
handler404 = "core.api.exceptions.page_not_found"
handler500 = "core.api.exceptions.server_error"
