"""Settings for every process of the suite, driven by environment variables.

With no service URLs set the suite runs embedded (SQLite, an in-process cache, eager Celery and
events delivered to the consumers in-process) so a newcomer can look around; `DATABASE_URL`,
`REDIS_URL` and `KAFKA_BOOTSTRAP_SERVERS` switch each part to the real service. Production is the
default posture: DEBUG is off unless asked for, and the secure-transport settings follow from that.
"""

from pathlib import Path

import django_stubs_ext

from config.env import env_bool, env_int, env_list, env_str
from config.settings_parts.base import BASE_DIR, DATA_DIR, DEBUG, SECRET_KEY  # noqa: F401  (SECRET_KEY: a setting)

# The groups of settings, in the order they were written in one file: a later one extends what an earlier
# one set (CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES), so the order stays as it is (config/settings_parts/).
# isort: off
from config.settings_parts.database import *  # noqa: F403
from config.settings_parts.cache import *  # noqa: F403
from config.settings_parts.queues import *  # noqa: F403
from config.settings_parts.shop import *  # noqa: F403
from config.settings_parts.api import *  # noqa: F403
from config.settings_parts.customers import *  # noqa: F403
from config.settings_parts.observability import *  # noqa: F403
# isort: on

# Lets the generic classes that the type hints use (ModelAdmin[User], ...) work at run time.
django_stubs_ext.monkeypatch()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # The shared building blocks, then the domain apps, lowest layer first (DESIGN.md, `make lint`).
    "core",
    "events",
    "accounts",
    "catalog",
    "inventory",
    "delivery",
    "payments",
    "promotions",
    "orders",
    "notifications",
    "reports",
    "invoicing",
    "config.apps.ConfigAppConfig",
]

MIDDLEWARE = [
    "core.api.request_id.RequestIdMiddleware",  # first: every response and log line gets the id
    "core.metrics.RequestMetricsMiddleware",  # rate, latency and status by route (core/metrics.py)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # A plain anonymous GET of a cached catalog page is answered here, before the session, auth,
    # URL resolver and DRF, none of which can change it (catalog/api/middleware.py, decision 0073).
    "catalog.api.middleware.CachedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.audit.AuditMiddleware",  # after authentication: staff changes are recorded with who did them
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security -----------------------------------------------------------------------------------
# Secure by default; a plain-HTTP setup (the embedded run, tests) turns these off explicitly.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the cluster
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# --- Static files, i18n -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # No manifest: a page must never fail to render because collectstatic has not run yet.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The back office's name and logo (an image URL, e.g. a static file), shown on every admin page.
SHOP_NAME = env_str("SHOP_NAME", "Commerce back office")
SHOP_LOGO_URL = env_str("SHOP_LOGO_URL", "")
# Where uploaded catalog files wait between their preview and their import (catalog/imports.py).
CATALOG_IMPORTS_DIR = Path(env_str("CATALOG_IMPORTS_DIR", str(DATA_DIR / "catalog-imports")))
USE_I18N = True
USE_TZ = True
