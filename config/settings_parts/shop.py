"""The shop's apps: catalog, delivery, payments, inventory, orders, VAT and invoices, reports, with their beat
entries and the reports' queue.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

from django_celery_beat.tzcrontab import TzAwareCrontab

from config.env import env_int, env_list, env_str
from config.settings_parts.base import DATA_DIR, DEBUG
from config.settings_parts.queues import CELERY_BEAT_SCHEDULE

# --- Catalog ------------------------------------------------------------------------------------
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 5 * 60)  # dropped at once on any catalog change
CATALOG_CURRENCIES = env_list("CATALOG_CURRENCIES", "EUR")  # the first is the shop's default
CATALOG_SEARCH_CONFIG = env_str("CATALOG_SEARCH_CONFIG", "english")  # a PostgreSQL text search config
# Responses to requests with an Idempotency-Key are replayed for this long (API.md: at least 24 h).
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 48)
# A request holding a key longer than this is presumed dead and the key can be taken over.
IDEMPOTENCY_LOCK_SECONDS = env_int("IDEMPOTENCY_LOCK_SECONDS", 60)

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
