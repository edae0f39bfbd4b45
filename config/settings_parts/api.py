"""The interfaces: the gRPC server, the HTTP API (DRF, its schema and docs, rate limits) and CORS."""

from config.env import env_int, env_list, env_str

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
