"""What concerns the customers themselves: their accounts (tokens, sign-in limits, addresses, links sent by
e-mail, data exports) and the e-mail and SMS sent to them (docs/decisions/0055 and 0056).
"""

from pathlib import Path

from config.env import env_bool, env_int, env_list, env_str
from config.settings_parts.base import DATA_DIR
from config.settings_parts.queues import CELERY_BEAT_SCHEDULE
from config.settings_parts.shop import CELERY_TASK_ROUTES

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
# The account e-mails' backend and sender are the notifications' (below).
CELERY_BEAT_SCHEDULE["accounts-purge-expired-exports"] = {"task": "accounts.purge_expired_exports", "schedule": 60 * 60}
ADDRESS_COUNTRIES = env_list("ADDRESS_COUNTRIES")  # ISO codes delivered to; empty: every supported one

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
