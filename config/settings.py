"""Settings for every process of the suite, driven by environment variables.

With no service URLs set the suite runs embedded (SQLite, an in-process cache, eager Celery and
events delivered to the consumers in-process) so a newcomer can look around; `DATABASE_URL`,
`REDIS_URL` and `KAFKA_BOOTSTRAP_SERVERS` switch each part to the real service. Production is the
default posture: DEBUG is off unless asked for, and the secure-transport settings follow from that.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django_celery_beat.tzcrontab import TzAwareCrontab

from config.env import env_bool, env_float, env_int, env_list, env_str

# Lets the generic classes that the type hints use (ModelAdmin[User], ...) work at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-runs-never-in-production"  # noqa: S105

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

# --- Database -----------------------------------------------------------------------------------
# Each domain app owns one PostgreSQL schema; Django's own tables stay in `public`. The backend in
# config/db/postgresql puts every app's tables in its schema and lists all of them in search_path.
APP_SCHEMAS = {
    "catalog": "catalog",
    "orders": "orders",
    "accounts": "users",
    "payments": "payments",
    "inventory": "inventory",
    "delivery": "delivery",
    "reports": "reports",
    "events": "events",
    "notifications": "notifications",
    "promotions": "promotions",
    "invoicing": "invoicing",
}

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))
# How long an embedded (SQLite) request waits for another thread's write transaction to finish.
SQLITE_BUSY_TIMEOUT_SECONDS = 20
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:  # the embedded first look keeps its database in the ignored data folder
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.db.postgresql"
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "config.db.postgresql"
# Timeouts that fit the caller (docs/decisions/0060): a connection attempt to a database that is
# away fails within seconds (the request answers 503 database_unavailable); a statement runs at
# most DATABASE_STATEMENT_TIMEOUT_MS (0: no limit; gunicorn sets it to the request's budget).
DATABASE_CONNECT_TIMEOUT_SECONDS = env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 3)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 0)
# The hot statements that opt in (reserving stock and the product listing, core/db/statements.py) are prepared once
# per connection; Django's own queries bind on the client and are never prepared. Off (0) behind a
# pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or its
# max_prepared_statements = 0).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if USES_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT_SECONDS
    if DATABASE_PREPARED_STATEMENTS:  # psycopg prepares only when asked (Django leaves it off)
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run serves requests from several threads (and `relay_events` or a command may
    # write from another process). SQLite has one writer at a time: WAL lets readers go on while
    # it writes, and IMMEDIATE takes the write lock at BEGIN, where the busy timeout waits for it,
    # instead of on the first write, where a deferred transaction that read a now stale snapshot
    # fails at once with "database is locked". So every transaction runs one after the other,
    # which also stands in for select_for_update (a no-op on SQLite). NORMAL is durable in WAL
    # except for the last commits before a power cut, which a first look can afford.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

# The reports read from a replica when there is one (reports/db.py); tests mirror the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "config.db.postgresql"
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Redis: cache, sessions, locks --------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "commerce"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # The cache is worth a few milliseconds: a Redis slower than this is a miss.
                "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 1.0),
                "SOCKET_TIMEOUT": env_float("REDIS_SOCKET_TIMEOUT_SECONDS", 1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions (staff in the admin and the API docs) live in the database, not in Redis: a Redis
# outage must not sign staff out or fail the admin (docs/decisions/0060).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# After a Redis call fails, optional uses (cache, rate counters) skip Redis this long (core/outages.py).
REDIS_BREAKER_SECONDS = env_float("REDIS_BREAKER_SECONDS", 2.0)
SESSION_COOKIE_AGE = 24 * 60 * 60

# --- Celery -------------------------------------------------------------------------------------
# Work is delivered at least once: a task is acknowledged only after it ran, is handed back when
# its worker dies, and a worker takes one message at a time. Tasks are idempotent to match.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
# kombu's Redis transport, publishing through one Redis client per channel instead of a new one
# per message (core/broker.py).
if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss"):
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env_str("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
# Redis redelivers an unacknowledged message after the visibility timeout; it must exceed the
# longest task or a slow task would run twice while still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT,
    "socket_timeout": 2,
    "socket_connect_timeout": 1,
}
# A broker that is away must not hold a request: one quick retry, then core.queue keeps the task
# in the database and re-drives it when the broker is back (docs/decisions/0061).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
# The Redis result backend subscribes to each queued task's result; its default policy retries a
# lost connection 20 times a second apart, which held each order placement ~19 s during an outage.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's defaults, written out: Celery reads these on every published task, and a setting that
# is not here is looked for under up to four names, each miss a raised exception, before the
# default is found (16.5 µs a read instead of 4.8; docs/decisions/0083).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TASK_REPR_MAXLEVELS = 3
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = None

# --- Kafka --------------------------------------------------------------------------------------
# Without brokers the events are delivered in-process (EVENTS_IN_PROCESS_DISPATCH, below).
KAFKA_BOOTSTRAP_SERVERS = env_list("KAFKA_BOOTSTRAP_SERVERS")
KAFKA_CLIENT_ID = env_str("KAFKA_CLIENT_ID", "commerce")
# Prepended to every topic name: lets several environments (or test runs) share one cluster.
KAFKA_TOPIC_PREFIX = env_str("KAFKA_TOPIC_PREFIX")
KAFKA_TOPIC_PARTITIONS = env_int("KAFKA_TOPIC_PARTITIONS", 3)
KAFKA_REPLICATION_FACTOR = env_int("KAFKA_REPLICATION_FACTOR", 1)

# --- Domain events -------------------------------------------------------------------------------
EVENTS_RELAY_BATCH_SIZE = env_int("EVENTS_RELAY_BATCH_SIZE", 500)
EVENTS_RELAY_MAX_BACKOFF_SECONDS = env_int("EVENTS_RELAY_MAX_BACKOFF_SECONDS", 30)
EVENTS_OUTBOX_RETENTION_DAYS = env_int("EVENTS_OUTBOX_RETENTION_DAYS", 7)
EVENTS_CONSUMER_MAX_ATTEMPTS = env_int("EVENTS_CONSUMER_MAX_ATTEMPTS", 5)
# Without Kafka no relay or consumer group would ever apply the events, so the embedded mode hands
# them to the apps' consumers in the same process right after each commit (events/dispatch.py).
# Never together with Kafka: it marks the rows published, so the relay would skip them.
EVENTS_IN_PROCESS_DISPATCH = env_bool("EVENTS_IN_PROCESS_DISPATCH", not KAFKA_BOOTSTRAP_SERVERS)
if EVENTS_IN_PROCESS_DISPATCH and KAFKA_BOOTSTRAP_SERVERS:
    raise ImproperlyConfigured(
        "EVENTS_IN_PROCESS_DISPATCH is for running without Kafka; with "
        "KAFKA_BOOTSTRAP_SERVERS set the relay and the consumer groups deliver the events"
    )
CELERY_BEAT_SCHEDULE = {
    "core-redrive-deferred-tasks": {"task": "core.redrive_deferred_tasks", "schedule": 30},
    "events-purge-published-outbox": {
        "task": "events.purge_published_outbox",
        "schedule": 60 * 60,
    },
    "suite-purge-expired-idempotency-keys": {
        "task": "suite.purge_expired_idempotency_keys",
        "schedule": 60 * 60,
    },
}

# --- Delivery -----------------------------------------------------------------------------------
DELIVERY_DEFAULT_COUNTRY = env_str("DELIVERY_DEFAULT_COUNTRY", "DE")  # when a slots query names none
DELIVERY_HOLD_TTL_MINUTES = env_int("DELIVERY_HOLD_TTL_MINUTES", 15)
DELIVERY_HOLD_EXTENSION_MINUTES = env_int("DELIVERY_HOLD_EXTENSION_MINUTES", 10)  # granted once per hold
DELIVERY_SLOTS_DAYS_AHEAD = env_int("DELIVERY_SLOTS_DAYS_AHEAD", 7)  # dated slots kept ahead, and shown
CELERY_BEAT_SCHEDULE["delivery-generate-slots"] = {"task": "delivery.generate_slots", "schedule": 60 * 60}
CELERY_BEAT_SCHEDULE["delivery-release-expired-holds"] = {"task": "delivery.release_expired_holds", "schedule": 60}

# --- Payments -----------------------------------------------------------------------------------
# Gateways by name: a payments.gateways.base.Gateway subclass and its options (README.md,
# Payments, tells how to add a provider). `test_card` is a sandbox provider: enabled by default
# only under DEBUG, elsewhere only when PAYMENTS_ENABLED_GATEWAYS names it (a staging shop).
PAYMENTS_GATEWAYS = {
    "test_card": {
        "CLASS": "payments.sandbox.gateway.TestCardGateway",
        # Secrets that sign its webhooks, the current one first (rotation); a default only under DEBUG.
        "WEBHOOK_SECRETS": env_list(
            "PAYMENTS_TEST_CARD_WEBHOOK_SECRETS", "whsec_test_card_for_development_only" if DEBUG else ""
        ),
        "WEBHOOK_URL": env_str("PAYMENTS_TEST_CARD_WEBHOOK_URL"),  # unset: the sandbox delivers in-process
        "AUTHENTICATION_SECONDS": env_int("PAYMENTS_TEST_CARD_AUTHENTICATION_SECONDS", 5),  # its 3-D Secure
    },
    "cash_on_delivery": {"CLASS": "payments.gateways.cash_on_delivery.CashOnDeliveryGateway"},
}
_enabled_gateways = env_list("PAYMENTS_ENABLED_GATEWAYS", ",".join(PAYMENTS_GATEWAYS) if DEBUG else "cash_on_delivery")
PAYMENTS_GATEWAYS = {name: options for name, options in PAYMENTS_GATEWAYS.items() if name in _enabled_gateways}
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env_int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 5 * 60)
PAYMENTS_EXPIRY_MARGIN_MINUTES = env_int("PAYMENTS_EXPIRY_MARGIN_MINUTES", 60)  # void before the provider lapses it
PAYMENTS_REDRIVE_AFTER_MINUTES = env_int("PAYMENTS_REDRIVE_AFTER_MINUTES", 10)
CELERY_BEAT_SCHEDULE["payments-expire-authorizations"] = {"task": "payments.expire_authorizations", "schedule": 15 * 60}
CELERY_BEAT_SCHEDULE["payments-redrive"] = {"task": "payments.redrive", "schedule": 5 * 60}

# --- Inventory ----------------------------------------------------------------------------------
INVENTORY_RESERVATION_TTL_MINUTES = env_int("INVENTORY_RESERVATION_TTL_MINUTES", 15)  # a cart's, by default
INVENTORY_RESERVATION_MAX_TTL_HOURS = env_int("INVENTORY_RESERVATION_MAX_TTL_HOURS", 14 * 24)  # orders for later slots
INVENTORY_AVAILABILITY_CACHE_SECONDS = env_int("INVENTORY_AVAILABILITY_CACHE_SECONDS", 5)  # dropped on each change
INVENTORY_IMPORT_CHUNK_ROWS = env_int("INVENTORY_IMPORT_CHUNK_ROWS", 5000)  # rows checked and applied at a time
INVENTORY_IMPORT_EVENT_ITEMS = env_int("INVENTORY_IMPORT_EVENT_ITEMS", 1000)  # items per adjusted_batch event
CELERY_BEAT_SCHEDULE["inventory-release-expired-reservations"] = {
    "task": "inventory.release_expired_reservations",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["inventory-check-stock-ledger"] = {"task": "inventory.check_stock_ledger", "schedule": 60 * 60}

# --- Orders -------------------------------------------------------------------------------------
ORDERS_PAYMENT_TIMEOUT_MINUTES = env_int("ORDERS_PAYMENT_TIMEOUT_MINUTES", 30)  # unpaid orders are cancelled then
ORDERS_MAX_CART_LINES = env_int("ORDERS_MAX_CART_LINES", 100)
# The most of one item in one order when no purchase limit names it (pieces, or kg / l).
ORDERS_DEFAULT_ITEM_LIMIT = env_int("ORDERS_DEFAULT_ITEM_LIMIT", 50)
# Weighed items may be picked this much heavier than ordered; the authorization covers it.
ORDERS_WEIGHED_MARGIN_PERCENT = env_int("ORDERS_WEIGHED_MARGIN_PERCENT", 10)
ORDERS_ANONYMOUS_CART_DAYS = env_int("ORDERS_ANONYMOUS_CART_DAYS", 30)  # visitors' carts are deleted after
CELERY_BEAT_SCHEDULE["orders-cancel-unpaid"] = {"task": "orders.cancel_unpaid_orders", "schedule": 60}
CELERY_BEAT_SCHEDULE["orders-purge-abandoned-carts"] = {
    "task": "orders.purge_abandoned_carts",
    "schedule": 24 * 60 * 60,
}

# --- VAT and invoices (docs/decisions/0052, 0053) -----------------------------------------------
# Prices are gross; carts are taxed in this country until an address names another.
VAT_DEFAULT_COUNTRY = env_str("VAT_DEFAULT_COUNTRY", DELIVERY_DEFAULT_COUNTRY)
# The delivery fee's rate: "standard" (the country's standard rate) or "dominant" (the rate of the
# largest share of the basket's taxable gross; a tie goes to the higher rate).
VAT_DELIVERY_FEE_RULE = env_str("VAT_DELIVERY_FEE_RULE", "standard")
# The seller on every invoice and credit note; ENTITY is the key of its number series.
INVOICING_SELLER = {
    "ENTITY": env_str("INVOICING_ENTITY", "SHOP"),
    "NAME": env_str("INVOICING_SELLER_NAME", "Commerce Demo GmbH"),
    "ADDRESS": env_str("INVOICING_SELLER_ADDRESS", "Invalidenstr. 100, 10115 Berlin, DE"),
    "VAT_ID": env_str("INVOICING_SELLER_VAT_ID", "DE123456789"),
    "EMAIL": env_str("INVOICING_SELLER_EMAIL", "invoices@example.com"),
}

# --- Reports ------------------------------------------------------------------------------------
# Analytics run on their own queue so a long forecast never delays payments or delivery work:
# `celery -A config worker -Q celery,analytics` (or a worker of its own with -Q analytics).
REPORTS_QUEUE = "analytics"
CELERY_TASK_ROUTES = {"reports.*": {"queue": REPORTS_QUEUE}}
REPORTS_FILES_DIR = Path(env_str("REPORTS_FILES_DIR", str(DATA_DIR / "reports")))  # CSV and XLSX downloads
REPORTS_RETENTION_DAYS = env_int("REPORTS_RETENTION_DAYS", 90)  # runs and their files are deleted after
REPORTS_SOFT_TIME_LIMIT = env_int("REPORTS_SOFT_TIME_LIMIT", 20 * 60)
REPORTS_TIME_LIMIT = env_int("REPORTS_TIME_LIMIT", 25 * 60)
REPORTS_DEFAULT_LEAD_TIME_DAYS = env_int("REPORTS_DEFAULT_LEAD_TIME_DAYS", 2)  # warehouses without a policy
REPORTS_DEFAULT_SERVICE_LEVEL = float(env_str("REPORTS_DEFAULT_SERVICE_LEVEL", "0.95"))
# Beat entries at shop time (TIME_ZONE); django-celery-beat copies them into its tables, where the
# admin can edit them. `period` is resolved by the task when it runs (reports/schedules.py).
_shop_time = ZoneInfo(env_str("TIME_ZONE", "UTC"))
CELERY_BEAT_SCHEDULE["reports-daily-sales"] = {
    "task": "reports.run_scheduled",
    "schedule": TzAwareCrontab(minute=0, hour=6, tz=_shop_time),
    "kwargs": {"report": "sales", "period": "yesterday"},
}
CELERY_BEAT_SCHEDULE["reports-weekly-customers"] = {
    "task": "reports.run_scheduled",
    "schedule": TzAwareCrontab(minute=30, hour=6, day_of_week=1, tz=_shop_time),
    "kwargs": {"report": "customers_rfm", "period": "last_week"},
}
CELERY_BEAT_SCHEDULE["reports-nightly-forecast"] = {
    "task": "reports.run_scheduled",
    "schedule": TzAwareCrontab(minute=0, hour=2, tz=_shop_time),
    "kwargs": {"report": "inventory_forecast", "period": "last_91_days"},
}
CELERY_BEAT_SCHEDULE["reports-nightly-reorder"] = {
    "task": "reports.run_scheduled",
    "schedule": TzAwareCrontab(minute=30, hour=2, tz=_shop_time),
    "kwargs": {"report": "inventory_reorder", "period": "last_28_days"},
}
CELERY_BEAT_SCHEDULE["reports-purge-expired-runs"] = {"task": "reports.purge_expired_runs", "schedule": 24 * 60 * 60}

# --- gRPC ---------------------------------------------------------------------------------------
GRPC_BIND = env_str("GRPC_BIND", "127.0.0.1:50051")
GRPC_MAX_WORKERS = env_int("GRPC_MAX_WORKERS", 10)  # threads: calls served at once (a WatchOrder holds one)
GRPC_MAX_CONCURRENT_RPCS = env_int("GRPC_MAX_CONCURRENT_RPCS", 4 * GRPC_MAX_WORKERS)  # then RESOURCE_EXHAUSTED
GRPC_MAX_CONCURRENT_STREAMS = env_int("GRPC_MAX_CONCURRENT_STREAMS", 100)  # per client connection (HTTP/2)
GRPC_MAX_MESSAGE_BYTES = env_int("GRPC_MAX_MESSAGE_BYTES", 4 * 1024 * 1024)  # requests and responses
GRPC_TLS_CERT = env_str("GRPC_TLS_CERT", "")  # PEM files; both set: the server speaks TLS only
GRPC_TLS_KEY = env_str("GRPC_TLS_KEY", "")
GRPC_WATCH_POLL_MS = env_int("GRPC_WATCH_POLL_MS", 500)  # WatchOrder: how often it looks for changes
GRPC_WATCH_MAX_SECONDS = env_int("GRPC_WATCH_MAX_SECONDS", 600)  # WatchOrder without a deadline ends then

# --- HTTP API -----------------------------------------------------------------------------------
# Customers' apps and integrations send `Authorization: Bearer <token>` (accounts.authentication);
# the session (with DRF's CSRF check) only serves staff trying the API from the docs page while
# signed in to the admin. JSON in, JSON out; one error body (core/api/exceptions.py).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonIpThrottle",
        "core.api.throttling.UserThrottle",
    ],
    # Sliding windows in Redis (core/api/throttling.py); "count/period", period s|min|hour|day.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_RATE_ANON", "300/min"),  # per IP: many customers can share a carrier NAT
        "user": env_str("API_RATE_USER", "600/min"),  # per signed-in user, all devices together
        "login": env_str("API_RATE_LOGIN", "20/min"),  # sign-in and password checks, per IP
        "register": env_str("API_RATE_REGISTER", "10/hour"),  # new accounts, per IP
        "account_email": env_str("API_RATE_ACCOUNT_EMAIL", "5/hour"),  # verification, reset, e-mail change mails
    },
    # Proxies in front of the app that append to X-Forwarded-For; the client IP is taken that many
    # hops from the right. Unset: REMOTE_ADDR, which a client cannot forge.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0) or None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commerce suite API",
    "DESCRIPTION": "The public REST API of the grocery and quick-commerce suite.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,  # request and response shapes differ (read-only fields)
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    # Choice sets whose field name other apps use too ("status"): named, not hashed.
    "ENUM_NAME_OVERRIDES": {
        "ShipmentStatusEnum": "delivery.models.ShipmentStatus",
        "PaymentStateEnum": "payments.models.PaymentState",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "OrderActorEnum": "orders.models.ActorKind",
        "DocumentKindEnum": "invoicing.models.DocumentKind",
    },
}
# Browser front ends on other origins may call the API (never the admin); tokens travel in the
# Authorization header, not cookies, so no credentials mode.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOWED_ORIGIN_REGEXES = env_list("CORS_ALLOWED_ORIGIN_REGEXES")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key", "x-cart-token", "x-request-id"]
CORS_EXPOSE_HEADERS = ["retry-after", "x-cache", "x-request-id"]
CORS_PREFLIGHT_MAX_AGE = env_int("CORS_PREFLIGHT_MAX_AGE", 600)

# --- Accounts -----------------------------------------------------------------------------------
ACCOUNTS_TOKEN_IDLE_DAYS = env_int("ACCOUNTS_TOKEN_IDLE_DAYS", 30)  # unused this long: signed out
ACCOUNTS_TOKEN_MAX_AGE_DAYS = env_int("ACCOUNTS_TOKEN_MAX_AGE_DAYS", 180)  # signed out at the latest
ACCOUNTS_LOGIN_MAX_FAILURES = env_int("ACCOUNTS_LOGIN_MAX_FAILURES", 5)  # per account, any IP
ACCOUNTS_LOGIN_LOCK_SECONDS = env_int("ACCOUNTS_LOGIN_LOCK_SECONDS", 15 * 60)
ACCOUNTS_MAX_ADDRESSES = env_int("ACCOUNTS_MAX_ADDRESSES", 20)
# Links sent by e-mail (docs/decisions/0057): where they point, and how long they work.
ACCOUNTS_LINK_BASE_URL = env_str("ACCOUNTS_LINK_BASE_URL", "http://127.0.0.1:8000")
ACCOUNTS_EMAIL_VERIFICATION_HOURS = env_int("ACCOUNTS_EMAIL_VERIFICATION_HOURS", 72)
PASSWORD_RESET_TIMEOUT = env_int("ACCOUNTS_PASSWORD_RESET_MINUTES", 60) * 60  # Django's reset tokens
ACCOUNTS_EXPORT_LINK_HOURS = env_int("ACCOUNTS_EXPORT_LINK_HOURS", 72)  # archive and its link, then deleted
ACCOUNTS_EXPORTS_DIR = Path(env_str("ACCOUNTS_EXPORTS_DIR", str(DATA_DIR / "exports")))  # customers' archives
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Commerce suite <shop@example.com>")
CELERY_BEAT_SCHEDULE["accounts-purge-expired-exports"] = {"task": "accounts.purge_expired_exports", "schedule": 60 * 60}
ADDRESS_COUNTRIES = env_list("ADDRESS_COUNTRIES")  # ISO codes delivered to; empty: every supported one

# --- Catalog ------------------------------------------------------------------------------------
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 5 * 60)  # dropped at once on any catalog change
CATALOG_CURRENCIES = env_list("CATALOG_CURRENCIES", "EUR")  # the first is the shop's default
CATALOG_SEARCH_CONFIG = env_str("CATALOG_SEARCH_CONFIG", "english")  # a PostgreSQL text search config
# Responses to requests with an Idempotency-Key are replayed for this long (API.md: at least 24 h).
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 48)
# A request holding a key longer than this is presumed dead and the key can be taken over.
IDEMPOTENCY_LOCK_SECONDS = env_int("IDEMPOTENCY_LOCK_SECONDS", 60)

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

# --- Logging ------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    # The request id (core/api/request_id.py) goes on every line that reaches the handler.
    "filters": {"request_id": {"()": "core.api.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "kafka": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Notifications: e-mail and SMS (notifications/, docs/decisions/0055 and 0056) ---------------
# E-mail goes out through Django's backends: the console (printed, the default without EMAIL_HOST)
# or SMTP when EMAIL_HOST is set; EMAIL_BACKEND names any other backend.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Commerce <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The languages customers may get messages in (each has its templates); the default is the shop's.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
NOTIFICATIONS_DEFAULT_LANGUAGE = env_str("NOTIFICATIONS_DEFAULT_LANGUAGE", "en")
NOTIFICATIONS_SHOP_NAME = env_str("NOTIFICATIONS_SHOP_NAME", "Commerce")
NOTIFICATIONS_QUEUE = "notifications"
CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "notifications.*": {"queue": NOTIFICATIONS_QUEUE}}
# A message the mail server does not take is tried again after 1, 2, 4, ... times the backoff,
# NOTIFICATIONS_MAX_ATTEMPTS times in all; then it is marked failed and reported.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5)
NOTIFICATIONS_RETRY_BACKOFF_SECONDS = env_int("NOTIFICATIONS_RETRY_BACKOFF_SECONDS", 60)
# A message still pending (its task lost) this long is queued again; one still "sending" is
# marked unconfirmed and reported, never sent again by itself.
NOTIFICATIONS_STALE_MINUTES = env_int("NOTIFICATIONS_STALE_MINUTES", 30)
# The SMS channel: a class with send(to, text) -> provider reference (notifications/sms.py).
NOTIFICATIONS_SMS_CHANNEL = env_str("NOTIFICATIONS_SMS_CHANNEL", "notifications.sms.LoggingSmsChannel")
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {"task": "notifications.sweep_stale_messages", "schedule": 5 * 60}

# --- Operations: probes, metrics, traces (deploy/, docs/decisions/0030) ------------------------
# Which process this is (web, grpc, worker, beat, relay, consumer, migrate; config/roles.py): set by
# deploy/entrypoint.sh and by the process commands; decides which dependencies readiness requires.
# The processes that serve no HTTP (relay, consumers, Celery worker) answer /healthz, /readyz and
# /metrics on PROBE_PORT (off when 0); a loop silent for PROBE_LIVENESS_STALE_SECONDS is not alive.
PROBE_PORT = env_int("PROBE_PORT", 0)
PROBE_BIND = env_str("PROBE_BIND", "0.0.0.0")  # noqa: S104 (probed from outside the pod)
PROBE_LIVENESS_STALE_SECONDS = env_int("PROBE_LIVENESS_STALE_SECONDS", 120)
# Workers per queue: reports always run on REPORTS_QUEUE (above); with CELERY_ROUTE_BY_APP (the
# deployments set it) payment tasks go to a queue of their own too, so a slow gateway never delays
# the other work.
CELERY_ROUTE_BY_APP = env_bool("CELERY_ROUTE_BY_APP", False)
if CELERY_ROUTE_BY_APP:
    CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "payments.*": {"queue": "payments"}}
# LOG_FORMAT=json: one JSON object per line with request_id, trace_id and span_id (core/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT == "json":
    LOGGING["formatters"]["json"] = {"()": "core.logs.JsonFormatter"}  # type: ignore[index]
    LOGGING["filters"]["trace"] = {"()": "core.logs.TraceIdFilter"}  # type: ignore[index]
    LOGGING["handlers"]["console"].update(formatter="json", filters=["trace"])  # type: ignore[index]
