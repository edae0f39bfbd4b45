"""Reads of the accounts app used by more than one caller."""

import hashlib

from django.db.models import QuerySet

from accounts.models import AccessToken, Address, User


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_for_key(key: str) -> AccessToken | None:
    """The token (with its user) that `key` is, usable or not; None if there is none."""
    return AccessToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()


def addresses_of(user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("-is_default", "id")


def address_of(user: User, address_id: int) -> Address | None:
    """The user's address, or None when it does not exist or is someone else's."""
    return Address.objects.filter(user=user, pk=address_id).first()


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def first_customer() -> User | None:
    """The oldest customer account (demo data attaches its examples to it)."""
    return User.objects.filter(is_staff=False).order_by("id").first()


def user_id_by_email(email: str) -> int | None:
    """The id of the account with this email address (any case), or None."""
    return User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()


def user_by_id(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()
