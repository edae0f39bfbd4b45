"""Reads of notifications: who a message goes to, in which language, and the messages support sees."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet

from accounts.selectors import user_by_id
from notifications.models import ContactPreference, Message

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Recipient:
    user_id: int | None
    email: str
    phone: str
    name: str  # how a message greets them: the first name, or empty
    language: str
    sms: bool


def recipient_of(user: "User", *, email: str = "", language: str = "") -> Recipient:
    """The user as a recipient: their preference's language (else `language`, else the shop's).
    An erased account has no address or phone (a late order event writes to nobody)."""
    if user.erased_at is not None:
        return Recipient(user.pk, "", "", "", settings.NOTIFICATIONS_DEFAULT_LANGUAGE, False)
    preference = ContactPreference.objects.filter(user_id=user.pk).first()
    return Recipient(
        user_id=user.pk,
        email=email or user.email,
        phone=user.phone,
        name=user.first_name,
        language=preference.language if preference else (language or settings.NOTIFICATIONS_DEFAULT_LANGUAGE),
        sms=bool(preference and preference.sms),
    )


def recipient_by_id(user_id: int, *, email: str = "", language: str = "") -> Recipient | None:
    user = user_by_id(user_id)
    return recipient_of(user, email=email, language=language) if user is not None else None


def messages_of_user(user_id: int) -> QuerySet[Message]:
    """What the shop sent the person, newest first (support, and the data export)."""
    return Message.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def messages_of_order(order_ref: str) -> QuerySet[Message]:
    return Message.objects.filter(order_ref=order_ref).order_by("created_at", "id")
