"""Demo data of notifications: the demo customer's contact preference (English, with SMS, so the
"on its way" message also shows as a logged text message). The demo order that orders' demo
places sends its "order placed" e-mail to the console once the demo data commits."""

from django.conf import settings

from accounts.demo import DEMO_CUSTOMER_EMAIL
from accounts.selectors import user_by_email
from notifications import services


def load() -> list[str]:
    customer = user_by_email(DEMO_CUSTOMER_EMAIL)
    if customer is None:
        return []
    services.set_preference(customer.pk, language="en", sms=True)
    where = "printed on this console" if "console" in settings.EMAIL_BACKEND else f"sent by {settings.EMAIL_BACKEND}"
    return [
        f"Customer e-mails are {where}; every message is listed in the admin under Notifications > Messages "
        f"(set a customer's language there: {', '.join(code for code, _ in settings.LANGUAGES)})."
    ]
