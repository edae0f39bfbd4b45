"""E-mail addresses proven by a link: verification after sign-up, and changing the address the
account signs in with (the new address is confirmed before it replaces the old one)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import EmailTaken, InvalidLink
from accounts.models import User
from accounts.services import _announce_update, _locked_user, links, normalize_email
from accounts.services.messages import key_of_token, request_account_message
from core.errors import InvalidInput
from core.queue import enqueue_on_commit

VERIFY = "verify_email"
CHANGE = "email_change"


def _max_age() -> int:
    return settings.ACCOUNTS_EMAIL_VERIFICATION_HOURS * 3600


def _user_id(payload: dict[str, object]) -> int:
    user_id = payload.get("u")
    if not isinstance(user_id, int):
        raise InvalidLink()
    return user_id


def verification_token(user: User) -> str:
    return links.sign(VERIFY, {"u": user.pk, "e": user.email})


def _expires_at() -> str:
    return (timezone.now() + timedelta(seconds=_max_age())).isoformat()


def send_verification_email(user_id: int, request_key: str, language: str = "") -> bool:
    """Mail the account's address a verification link (task `accounts.send_verification_email`),
    once per request (`request_key`, made when it was asked for); False when there is nothing to
    verify (verified already, erased, gone). `language`: the sign-up request's, kept for the
    account's messages unless it has a language already."""
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None or user.email_verified_at is not None:
        return False
    request_account_message(
        VERIFY,
        user_id=user.pk,
        key=request_key,
        language=language,
        context={
            "link": links.link("/account/verify-email/", token=verification_token(user)),
            "expires_at": _expires_at(),
        },
    )
    return True


def resend_verification(user_id: int) -> None:
    """The customer asks for the link again (the API rate-limits this per user)."""
    enqueue_on_commit("accounts.send_verification_email", user_id, uuid.uuid4().hex)


def verify_email(token: str) -> User:
    """Mark the address of the link verified. A link for an address the account no longer has is
    invalid; opening a valid one twice is harmless."""
    payload = links.unsign(VERIFY, token, max_age_seconds=_max_age())
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=_user_id(payload), erased_at__isnull=True).first()
        if user is None or user.email != payload.get("e"):
            raise InvalidLink()
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        return user


def start_email_change(user_id: int, *, new_email: str, current_password: str) -> str:
    """Send a confirmation link to the new address; the account keeps its address until the link
    is opened. Needs the current password: the address is what signs the account in."""
    new_email = normalize_email(new_email)
    with transaction.atomic():
        user = _locked_user(user_id, None)
        if not user.check_password(current_password):
            raise InvalidInput(
                fields={"current_password": ["This is not your current password."]}, code="wrong_password"
            )
        if new_email == user.email:
            raise InvalidInput(fields={"email": ["This is your current e-mail address."]})
        if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]})
        enqueue_on_commit("accounts.send_email_change_link", user.pk, new_email, uuid.uuid4().hex)
    return new_email


def send_email_change_link(user_id: int, new_email: str, request_key: str) -> bool:
    """Mail the new address its confirmation link, once per request (`request_key`)."""
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None:
        return False
    token = links.sign(CHANGE, {"u": user.pk, "e": new_email, "v": user.version})
    request_account_message(
        CHANGE,
        user_id=user.pk,
        key=request_key,
        email=new_email,
        context={
            "new_email": new_email,
            "link": links.link("/account/confirm-email/", token=token),
            "expires_at": _expires_at(),
        },
    )
    return True


def confirm_email_change(token: str) -> User:
    """Switch the account to the address the link was sent to (which it thereby verified), tell
    the old address, and announce user.updated. Works once: the change moves the version on."""
    payload = links.unsign(CHANGE, token, max_age_seconds=_max_age())
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=_user_id(payload), erased_at__isnull=True).first()
        if user is None or not user.is_active or user.version != payload.get("v"):
            raise InvalidLink()
        old_email, new_email = user.email, str(payload.get("e", ""))
        if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]})
        user.email, user.email_verified_at = new_email, timezone.now()
        user.version += 1
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified_at", "version"])
        except IntegrityError:
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]}) from None
        _announce_update(user, ["email"])
        # The old address hears of it: once per change (the link that made it works once).
        request_account_message(
            "email_changed", user_id=user.pk, key=key_of_token(token), email=old_email, context={"new_email": new_email}
        )
    return user
