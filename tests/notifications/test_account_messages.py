"""Account messages arrive from accounts through its signal (accounts cannot import notifications):
rendered in the person's language, sent once per request, hidden from support's eyes when they
carry a link that acts for the customer; shops override templates; a deleted person is forgotten."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.roles import SUPPORT, WAREHOUSE
from accounts.services.messages import ACCOUNT_MESSAGE_KINDS
from accounts.signals import account_message_requested
from core.errors import InvalidInput
from notifications import services
from notifications.errors import UnknownMessageKind
from notifications.kinds import ACCOUNT_KINDS
from notifications.models import Message, MessageStatus
from notifications.rendering import render_email
from tests.notifications.helpers import run_send

pytestmark = pytest.mark.django_db


def request(user: User, kind: str, key: str, **kwargs: Any) -> None:
    """What accounts' services do, inside their transaction."""
    account_message_requested.send(sender=User, user_id=user.pk, kind=kind, key=key, **kwargs)


def test_a_reset_request_sent_twice_is_one_message_in_the_customers_language() -> None:
    user = User.objects.create_user("jan@example.com", None, first_name="Jan")
    services.set_preference(user.pk, language="de")
    link = "https://shop.example/reset/abc"
    for _ in range(2):
        request(user, "password_reset", "token-7", context={"link": link, "expires_at": "2026-12-03T10:00:00+00:00"})

    [message] = Message.objects.all()
    assert (message.recipient, message.language, message.sensitive) == ("jan@example.com", "de", True)
    assert message.subject == "Passwort zurücksetzen" and message.body_text.startswith("Hallo Jan,")
    assert link in message.body_text and "Der Link gilt bis 3. Dezember 2026, 10:00 Uhr." in message.body_text


def test_an_email_change_goes_to_the_new_address_and_the_sign_up_language_is_kept() -> None:
    user = User.objects.create_user("old@example.com", None)
    request(
        user,
        "email_change",
        "change-1",
        context={"link": "https://shop.example/verify/x", "new_email": "new@example.com"},
        email="new@example.com",
        language="de-AT",
    )
    [message] = Message.objects.all()
    assert (message.recipient, message.language) == ("new@example.com", "de")
    assert "new@example.com" in message.body_text and message.subject == "Bestätigen Sie Ihre neue E-Mail-Adresse"


def test_every_account_message_accounts_asks_for_is_written_in_english_and_german() -> None:
    assert ACCOUNT_KINDS == ACCOUNT_MESSAGE_KINDS  # one list, with the same context each needs
    for kind, needed in ACCOUNT_KINDS.items():
        context = {"shop_name": "Commerce", "name": "Jan", **dict.fromkeys(needed, "https://shop.example/x")}
        english, german = (render_email(kind, language, context) for language in ("en", "de"))
        assert english.subject and german.subject != english.subject, kind
        assert german.text.startswith("Hallo Jan,") and english.html and german.html, kind


def test_an_unknown_kind_or_a_missing_link_is_refused_and_records_nothing() -> None:
    user = User.objects.create_user("kim@example.com", None)
    with pytest.raises(UnknownMessageKind):
        request(user, "welcome_gift", "k-1", context={})
    with pytest.raises(InvalidInput) as refused:
        request(user, "verify_email", "k-2", context={})
    assert refused.value.code == "message_context_incomplete" and not Message.objects.exists()


def test_the_shop_overrides_a_template_from_its_own_directory(settings: Any, tmp_path: Path) -> None:
    override = tmp_path / "notifications" / "email" / "en" / "account_deleted.subject.txt"
    override.parent.mkdir(parents=True)
    override.write_text("Goodbye from {{ shop_name }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.NOTIFICATIONS_SHOP_NAME = "Greengrocer"
    user = User.objects.create_user("lou@example.com", None)
    request(user, "account_deleted", "delete-1", context={})

    [message] = Message.objects.all()
    assert message.subject == "Goodbye from Greengrocer"  # the shop's subject
    assert "we have deleted your Greengrocer account" in message.body_text  # the suite's body


def test_support_sees_the_messages_and_their_status_but_not_a_reset_link() -> None:
    user = User.objects.create_user("mo@example.com", None)
    request(user, "password_reset", "token-1", context={"link": "https://shop.example/reset/secret"})
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error="451 try later")

    support = User.objects.create_user("support@example.com", None, is_staff=True)
    support.groups.add(Group.objects.get(name__iexact=SUPPORT))
    client = Client()
    client.force_login(support)
    listing = client.get("/admin/notifications/message/?status=failed")
    assert listing.status_code == 200 and "mo@example.com" in listing.content.decode()
    page = client.get(f"/admin/notifications/message/{message.pk}/change/").content.decode()
    assert "451 try later" in page and "reset/secret" not in page and "(hidden:" in page

    warehouse = User.objects.create_user("picker@example.com", None, is_staff=True)
    warehouse.groups.add(Group.objects.get(name__iexact=WAREHOUSE))
    client.force_login(warehouse)
    assert client.get("/admin/notifications/message/").status_code == 403


def test_a_deleted_person_is_forgotten_by_the_messages_once_their_last_one_is_sent() -> None:
    user = User.objects.create_user("eve@example.com", None)
    services.set_preference(user.pk, language="de")
    request(user, "account_deleted", "delete-9", context={})
    [goodbye] = Message.objects.all()
    sent = Message.objects.create(event_id="e-1", kind="order_delivered", recipient=user.email, user=user,
                                  language="de", body_text="Hallo", status=MessageStatus.SENT)  # fmt: skip
    assert services.forget_person(user.pk) == 1

    sent.refresh_from_db()
    assert (sent.user_id, sent.recipient, sent.body_text) == (None, f"erased-{sent.pk}", "")
    goodbye.refresh_from_db()
    assert goodbye.recipient == "eve@example.com" and "gelöscht" in goodbye.body_text  # still to be sent
    run_send(goodbye.pk)
    [mail_sent] = mail.outbox
    assert mail_sent.to == ["eve@example.com"]
    goodbye.refresh_from_db()
    assert (goodbye.status, goodbye.recipient, goodbye.body_text) == (MessageStatus.SENT, f"erased-{goodbye.pk}", "")
