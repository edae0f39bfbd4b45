"""Writes of the accounts app: registration, sign-in and tokens, profiles, passwords, addresses.

Every function is one transaction; the user.* events are sent inside it, so an event exists if and
only if its change committed. Failures are domain errors (core/errors.py) with stable codes.
The account life cycle lives beside this module: e-mail verification and change
(`verification`), password resets (`passwords`), data exports and erasure (`privacy`), and the
messages they send (`messages`).
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import validators
from accounts.errors import (
    EmailChangeNeedsConfirmation,
    EmailTaken,
    InvalidCredentials,
    TooManyLoginAttempts,
)
from accounts.models import AccessToken, User
from accounts.selectors import hash_token

# Re-exported: the addresses' services are reached as accounts.services.<name>, like the rest.
from accounts.services.addresses import ADDRESS_FIELDS, create_address, delete_address, update_address  # noqa: F401
from accounts.signals import user_registered, user_updated
from core.errors import InvalidInput, NotFound, StaleVersion
from core.outages import redis_call
from core.queue import enqueue_on_commit
from proto.events.v1.users_pb2 import UserRegistered, UserUpdated

TOKEN_PREFIX = "cmt_"  # noqa: S105  (not a secret: lets secret scanners recognise a leaked token
# A token's use is recorded at most this often, so reads do not turn into a write per request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
PROFILE_FIELDS = ("email", "first_name", "last_name", "phone")


@dataclass(frozen=True)
class IssuedToken:
    """The token itself exists only here, once: only its hash is stored."""

    key: str
    token: AccessToken


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(fields={field: list(exc.messages)}) from None


def _clean_phone(value: str, field: str = "phone") -> str:
    try:
        return validators.normalize_phone(value)
    except ValueError as exc:
        raise InvalidInput(fields={field: [str(exc)]}) from None


# --- registration and tokens ---------------------------------------------------------------------


def register_customer(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone: str = "", language: str = ""
) -> User:
    email = normalize_email(email)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(), phone=_clean_phone(phone))
    _check_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]})
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # registered at the same moment by a concurrent request
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]}) from None
        payload = UserRegistered(
            user_id=str(user.pk), email=user.email, first_name=user.first_name, last_name=user.last_name
        )
        payload.registered_at.FromDatetime(user.date_joined)
        user_registered.send_event(sender=User, aggregate_id=str(user.pk), payload=payload)
        enqueue_on_commit("accounts.send_verification_email", user.pk, uuid.uuid4().hex, language)
    return user


def issue_token(user: User, *, name: str = "") -> IssuedToken:
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = AccessToken.objects.create(
        user=user,
        key_hash=hash_token(key),
        prefix=key[: len(TOKEN_PREFIX) + 6],
        name=name[:100],
        created_at=now,
        last_used_at=now,
        expires_at=_expiry(created_at=now, used_at=now),
    )
    return IssuedToken(key=key, token=token)


def _expiry(*, created_at: datetime, used_at: datetime) -> datetime:
    idle = used_at + timedelta(days=settings.ACCOUNTS_TOKEN_IDLE_DAYS)
    return min(idle, created_at + timedelta(days=settings.ACCOUNTS_TOKEN_MAX_AGE_DAYS))


def _failures_key(email: str) -> str:
    # Hashed: the cache never holds the address of someone who merely mistyped it.
    return "login-failures:" + hashlib.sha256(email.encode()).hexdigest()


def sign_in(*, email: str, password: str, device_name: str = "") -> IssuedToken:
    """A new token for the account, or InvalidCredentials. After ACCOUNTS_LOGIN_MAX_FAILURES
    failures in ACCOUNTS_LOGIN_LOCK_SECONDS the account refuses password sign-ins (even a right
    one) until that time has passed, whichever IP the guesses come from."""
    email = normalize_email(email)
    key = _failures_key(email)
    # Without Redis the per-account count is unknown (0); the sign-in rate per IP stays strict.
    failures = redis_call("login_failures", lambda: cache.get(key, 0), 0)
    if failures >= settings.ACCOUNTS_LOGIN_MAX_FAILURES:
        ttl = cache.ttl(key) if hasattr(cache, "ttl") else None
        raise TooManyLoginAttempts(retry_after=ttl or settings.ACCOUNTS_LOGIN_LOCK_SECONDS)
    user = authenticate(email=email, password=password)
    if not isinstance(user, User):
        redis_call("login_failures", lambda: _count_failure(key), None)
        raise InvalidCredentials()
    redis_call("login_failures", lambda: cache.delete(key), None)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return issue_token(user, name=device_name)


def _count_failure(key: str) -> None:
    # The window starts at the first failure (add); later ones count into it (incr), and a window
    # that expired between the two calls simply starts again.
    if cache.add(key, 1, settings.ACCOUNTS_LOGIN_LOCK_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 1, settings.ACCOUNTS_LOGIN_LOCK_SECONDS)


def touch_token(token: AccessToken, now: datetime) -> None:
    """Record that the token was used and slide its idle expiry (at most every few minutes)."""
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    expires_at = _expiry(created_at=token.created_at, used_at=now)
    AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(last_used_at=now, expires_at=expires_at)
    token.last_used_at, token.expires_at = now, expires_at


def revoke_token(token_id: int) -> None:
    AccessToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_tokens_of(user_id: int, *, keep_token_id: int | None = None) -> int:
    """Sign the user out everywhere (but on the device holding `keep_token_id`)."""
    tokens = AccessToken.objects.filter(user_id=user_id, revoked_at__isnull=True)
    if keep_token_id is not None:
        tokens = tokens.exclude(pk=keep_token_id)
    return tokens.update(revoked_at=timezone.now())


# --- profile and password ------------------------------------------------------------------------


def _locked_user(user_id: int, expected_version: int | None) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    if expected_version is not None and user.version != expected_version:
        raise StaleVersion(current_version=user.version)
    return user


def _announce_update(user: User, changed: list[str]) -> None:
    payload = UserUpdated(
        user_id=str(user.pk),
        changed_fields=changed,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
    )
    payload.updated_at.FromDatetime(timezone.now())
    user_updated.send_event(sender=User, aggregate_id=str(user.pk), payload=payload)


def update_profile(
    user_id: int, changes: dict[str, Any], *, expected_version: int | None = None, current_password: str | None = None
) -> User:
    """Change the customer's own profile. A new email address is not set here: it signs the
    account in, so it changes only once a link sent to it was opened
    (accounts.services.verification.start_email_change, with the current password)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: ["This field cannot be changed here."] for name in sorted(unknown)})
    with transaction.atomic():
        user = _locked_user(user_id, expected_version)
        if "email" in changes and normalize_email(changes["email"]) != user.email:
            raise EmailChangeNeedsConfirmation(
                fields={"email": ["Change your e-mail address at me/email/; a link confirms the new one."]}
            )
        return _apply_profile_changes(user, {name: value for name, value in changes.items() if name != "email"})


def update_user_by_staff(user_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> User:
    """Support staff editing a customer (profile fields and whether the account may sign in)."""
    unknown = set(changes) - {*PROFILE_FIELDS, "is_active"}
    if unknown:
        raise InvalidInput(fields={name: ["This field cannot be changed here."] for name in sorted(unknown)})
    with transaction.atomic():
        user = _locked_user(user_id, expected_version)
        if user.is_staff:
            raise NotFound()  # staff accounts are not edited through the customer path
        return _apply_profile_changes(user, changes)


def _apply_profile_changes(user: User, changes: dict[str, Any]) -> User:
    values = dict(changes)
    if "email" in values:
        values["email"] = normalize_email(values["email"])
        if User.objects.filter(email__iexact=values["email"]).exclude(pk=user.pk).exists():
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]})
    if "phone" in values:
        values["phone"] = _clean_phone(values["phone"])
    for name in ("first_name", "last_name"):
        if name in values:
            values[name] = values[name].strip()
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if not changed:
        return user
    for name in changed:
        setattr(user, name, values[name])
    user.version += 1
    saved = [*changed, "version"]
    if "email" in changed:  # set by support: the customer has not proved this address yet
        user.email_verified_at = None
        saved.append("email_verified_at")
    try:
        with transaction.atomic():
            user.save(update_fields=saved)
    except IntegrityError:
        raise EmailTaken(fields={"email": ["An account with this email address exists already."]}) from None
    if "is_active" in changed and not user.is_active:
        revoke_tokens_of(user.pk)
    _announce_update(user, changed)
    return user


def change_password(user_id: int, *, current_password: str, new_password: str, keep_token_id: int | None) -> None:
    """Set a new password and sign out every other device."""
    with transaction.atomic():
        user = _locked_user(user_id, None)
        if not user.check_password(current_password):
            raise InvalidInput(
                fields={"current_password": ["This is not your current password."]}, code="wrong_password"
            )
        _check_password(new_password, user, "new_password")
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_tokens_of(user.pk, keep_token_id=keep_token_id)


def set_password_by_staff(user_id: int, password: str | None) -> User:
    """A password set in the back office (None: password sign-in disabled). Signs the person out
    on every device; their password reset links stop working with the old password hash."""
    with transaction.atomic():
        user = _locked_user(user_id, None)
        if password is None:
            user.set_unusable_password()
        else:
            _check_password(password, user, "password1")
            user.set_password(password)
        user.save(update_fields=["password"])
        revoke_tokens_of(user.pk)
    return user


def create_staff_member(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """A back-office account; its roles are given as groups afterwards. No user.registered event:
    that event is about customers."""
    email = normalize_email(email)
    user = User(email=email, first_name=first_name, last_name=last_name, is_staff=True)
    _check_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise EmailTaken(fields={"email": ["An account with this email address exists already."]})
        user.save()
    return user
