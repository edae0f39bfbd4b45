"""Forgotten passwords: a reset link by e-mail that works once and expires, asked for in a way
that never tells whether an address has an account.

Asking only queues a task with the address (`accounts.send_password_reset`), the same work and the
same answer for any address; the worker looks the account up and sends the link if there is one.
The tokens are Django's (PasswordResetTokenGenerator): an HMAC over the account's password hash,
last sign-in and a timestamp, so a reset spends the link (the hash changes), and so does a
password set by staff; PASSWORD_RESET_TIMEOUT ends it.
"""

import hashlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.errors import InvalidLink
from accounts.models import User
from accounts.services import _check_password, links, normalize_email, revoke_tokens_of
from accounts.services.messages import key_of_token, request_account_message
from core.queue import enqueue_on_commit

reset_tokens = PasswordResetTokenGenerator()
# However many people ask, one address gets at most this many reset mails an hour.
MAILS_PER_ADDRESS_PER_HOUR = 3


def request_password_reset(email: str) -> None:
    """Queue the reset mail for the address, whether or not it has an account."""
    enqueue_on_commit("accounts.send_password_reset", normalize_email(email), uuid.uuid4().hex)


def uid_of(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def send_password_reset(email: str, request_key: str) -> bool:
    """The worker's part: send the link if an active account signs in with this address, once per
    request (`request_key`, made when it was asked for: a retried task sends no second link)."""
    user = User.objects.filter(email__iexact=email, is_active=True, erased_at__isnull=True).first()
    if user is None or not user.has_usable_password() or not _within_mail_limit(user.email):
        return False
    token = reset_tokens.make_token(user)
    request_account_message(
        "password_reset",
        user_id=user.pk,
        key=request_key,
        context={
            "link": links.link("/account/reset-password/", uid=uid_of(user), token=token),
            "expires_at": timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        },
    )
    return True


def _within_mail_limit(email: str) -> bool:
    key = "password-reset-mails:" + hashlib.sha256(email.encode()).hexdigest()
    if cache.add(key, 1, 3600):
        return True
    try:
        return int(cache.incr(key)) <= MAILS_PER_ADDRESS_PER_HOUR
    except ValueError:  # expired between the two calls
        return bool(cache.add(key, 1, 3600))


def reset_password(*, uid: str, token: str, new_password: str) -> User:
    """Set the new password if the link is valid, and sign the account out everywhere."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        raise InvalidLink() from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
        if user is None or not reset_tokens.check_token(user, token):
            raise InvalidLink()
        _check_password(new_password, user, "new_password")
        user.set_password(new_password)
        fields = ["password"]
        if user.email_verified_at is None:  # the link reached the mailbox: that proves the address
            user.email_verified_at = timezone.now()
            fields.append("email_verified_at")
        user.save(update_fields=fields)
        revoke_tokens_of(user.pk)
        # The notice, once per reset (its link works once).
        request_account_message("password_changed", user_id=user.pk, key=key_of_token(token), context={})
    return user
