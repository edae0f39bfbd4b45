"""`Authorization: Bearer <token>` for the REST API, with the tokens of accounts.models.AccessToken."""

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts import selectors, services
from accounts.models import AccessToken, User

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """Hashes the presented token and looks the hash up; a revoked, expired or unknown token, or one
    of a deactivated user, is a 401 `authentication_failed` (the response does not say which)."""

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: another scheme, or anonymous
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be `Bearer <token>`.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is invalid or expired.") from None
        token = selectors.token_for_key(key)
        now = timezone.now()
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is invalid or expired.")
        services.touch_token(token, now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `POST /api/v1/auth/login/` or `/auth/register/`.",
        }
