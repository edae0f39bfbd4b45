"""In-process reactions of orders to other apps' signals."""

import logging
import uuid
from typing import TYPE_CHECKING, Any

from rest_framework.request import Request

from orders.services.cart import merge_carts

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 - a header name, not a secret


def cart_token_of(request: Request) -> uuid.UUID | None:
    """The anonymous cart the request names, if the header holds a well-formed token."""
    try:
        return uuid.UUID(request.headers.get(CART_TOKEN_HEADER, "").strip())
    except ValueError:
        return None


def merge_cart_at_sign_in(sender: Any, *, user: "User", request: Request, **kwargs: Any) -> None:
    """A visitor who filled a cart before signing in keeps it: it joins their account's cart."""
    token = cart_token_of(request)
    if token is not None:
        merge_carts(token, user)
