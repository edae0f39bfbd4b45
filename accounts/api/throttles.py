"""Rate limits of the account e-mails (verification, password reset, e-mail change): scope
`account_email` in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], per IP for anonymous requests and per
account for signed-in ones, so nobody can flood a mailbox through the shop."""

from rest_framework.request import Request

from core.api.throttling import ScopedIpThrottle, SlidingWindowThrottle


class AccountEmailIpThrottle(ScopedIpThrottle):
    scope = "account_email"


class AccountEmailUserThrottle(SlidingWindowThrottle):
    scope = "account_email"

    def identity(self, request: Request) -> str | None:
        return f"user-{request.user.pk}" if request.user and request.user.is_authenticated else None
