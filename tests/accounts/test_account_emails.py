"""Account e-mails end to end: verification after sign-up, password reset (single use, expiring,
and silent about which addresses have accounts), a password set by staff, and changing the
address with a link to the new one. The e-mails are the notifications app's (accounts only asks
for them): the flows' tasks and the send task run in-process, and mail goes to Django's test outbox."""

import html
import re
import statistics
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from celery import current_app
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.roles import SUPPORT
from accounts.services import passwords
from accounts.tasks import send_password_reset
from notifications import services as notifications
from tests.api.support import PASSWORD, api, error_of, make_customer, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

NEW_PASSWORD = "crisp-lettuce-2025"


def link_of(message: Any) -> dict[str, str]:
    """The query of the link in the mail (text part), which the shop's page posts to the API."""
    url = re.search(r"https?://\S+", message.body)
    assert url, message.body
    assert url.group(0) in html.unescape(message.alternatives[0][0])  # the HTML part has the same link
    return {key: values[0] for key, values in parse_qs(urlparse(url.group(0)).query).items()}


def sign_in(email: str, password: str) -> Any:
    return api().post("/api/v1/auth/login/", {"email": email, "password": password})


def test_sign_up_sends_a_verification_link_that_verifies_the_address(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api().post("/api/v1/auth/register/", {"email": "Ann@Example.com", "password": PASSWORD})
    assert response.status_code == 201 and response.json()["user"]["email_verified"] is False
    [message] = mail.outbox
    assert message.to == ["ann@example.com"] and message.subject == "Please confirm your e-mail address"

    token = link_of(message)["token"]
    assert api().post("/api/v1/auth/email/verify/", {"token": token}).status_code == 204
    assert api().post("/api/v1/auth/email/verify/", {"token": token}).status_code == 204  # opened twice: harmless
    user = User.objects.get(email="ann@example.com")
    assert signed_in(user).get("/api/v1/me/").json()["email_verified"] is True
    error_of(api().post("/api/v1/auth/email/verify/", {"token": token[:-2] + "xx"}), 400, "invalid_link")


def test_a_sign_up_from_a_german_browser_gets_its_messages_in_german(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signup = {"email": "jan@example.com", "password": PASSWORD, "first_name": "Jan"}
        api().post("/api/v1/auth/register/", signup, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    [message] = mail.outbox
    assert message.subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse" and message.body.startswith("Hallo Jan,")
    with django_capture_on_commit_callbacks(execute=True):
        request_reset("jan@example.com")  # the account keeps the language of its sign-up
    assert mail.outbox[-1].subject == "Passwort zurücksetzen"


def test_the_verification_link_can_be_resent_within_a_rate_limit(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account_email": "2/hour"},
    }
    client = signed_in(make_customer())
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post("/api/v1/me/email/verification/").status_code for _ in range(2)]
    assert answers == [202, 202] and len(mail.outbox) == 2
    refused = client.post("/api/v1/me/email/verification/")
    error_of(refused, 429)
    assert int(refused["Retry-After"]) > 0 and len(mail.outbox) == 2


def request_reset(email: str) -> Any:
    return api().post("/api/v1/auth/password-reset/", {"email": email})


def test_a_password_reset_works_once_and_signs_out_every_device(django_capture_on_commit_callbacks: Any) -> None:
    user = make_customer("ann@example.com")
    old_device = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert request_reset("ANN@example.com").status_code == 202
    [message] = mail.outbox
    assert message.to == ["ann@example.com"] and message.subject == "Reset your password"
    link = link_of(message)

    confirm = {"uid": link["uid"], "token": link["token"], "new_password": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        assert api().post("/api/v1/auth/password-reset/confirm/", confirm).status_code == 204
    assert mail.outbox[-1].subject == "Your Commerce password was changed"
    error_of(old_device.get("/api/v1/me/"), 401)
    error_of(sign_in("ann@example.com", PASSWORD), 401, "invalid_credentials")
    assert sign_in("ann@example.com", NEW_PASSWORD).status_code == 200

    used = api().post("/api/v1/auth/password-reset/confirm/", {**confirm, "new_password": "another-pass-77"})
    error_of(used, 400, "invalid_link")
    assert sign_in("ann@example.com", NEW_PASSWORD).status_code == 200


def test_a_german_customer_gets_one_reset_mail_in_german_however_often_the_task_runs(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = make_customer("jan@example.com", first_name="Jan")
    notifications.set_preference(user.pk, language="de")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # the same queued request, run again (a retry, a redelivery)
            send_password_reset.apply(args=["jan@example.com", "request-7"])
    [message] = mail.outbox
    assert (message.to, message.subject) == (["jan@example.com"], "Passwort zurücksetzen")
    assert message.body.startswith("Hallo Jan,") and "Der Link gilt bis" in message.body
    confirm = {**link_of(message), "new_password": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        assert api().post("/api/v1/auth/password-reset/confirm/", confirm).status_code == 204
    assert mail.outbox[-1].subject == "Ihr Commerce-Passwort wurde geändert" and len(mail.outbox) == 2


def test_an_expired_reset_link_is_refused(settings: Any) -> None:
    user = make_customer("ann@example.com")

    class LastHour(PasswordResetTokenGenerator):
        def _now(self) -> datetime:
            return datetime.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    expired = {"uid": passwords.uid_of(user), "token": LastHour().make_token(user), "new_password": NEW_PASSWORD}
    error_of(api().post("/api/v1/auth/password-reset/confirm/", expired), 400, "invalid_link")
    assert sign_in("ann@example.com", PASSWORD).status_code == 200


def test_an_unknown_address_gets_the_same_answer_in_the_same_time(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Both requests queue the same task on the real broker (not run here: the worker's part is
    where the account is looked up), answer alike, and take about as long."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account_email": "100/hour"},
    }
    make_customer("ann@example.com")
    current_app.conf.task_always_eager = False
    timings: dict[str, list[float]] = {"ann@example.com": [], "nobody@example.com": []}
    answers = {}
    try:
        for _ in range(5):
            for email in timings:
                started = time.perf_counter()
                with django_capture_on_commit_callbacks(execute=True):
                    response = request_reset(email)
                timings[email].append(time.perf_counter() - started)
                answers[email] = (response.status_code, response.content, response.get("Content-Type"))
    finally:
        current_app.control.purge()  # the queued tasks of this test's broker database
    assert answers["ann@example.com"] == answers["nobody@example.com"] == (202, b"", None)
    known, unknown = (statistics.median(times) for times in timings.values())
    assert max(known, unknown) / min(known, unknown) < 3, timings
    assert passwords.send_password_reset("nobody@example.com", "request-1") is False and mail.outbox == []


def test_a_password_set_by_staff_revokes_tokens_and_reset_links(django_capture_on_commit_callbacks: Any) -> None:
    customer = make_customer("ann@example.com")
    device = signed_in(customer)
    with django_capture_on_commit_callbacks(execute=True):
        request_reset("ann@example.com")
    link = link_of(mail.outbox[0])
    support = User.objects.create_user("help@example.com", "help-desk-2024", is_staff=True)
    support.groups.add(Group.objects.get(name=SUPPORT))
    client = Client()
    client.force_login(support)

    page = client.post(
        f"/admin/accounts/customer/{customer.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true", "set_password": "1"},
    )
    assert page.status_code == 302, page.content[:2000]
    error_of(device.get("/api/v1/me/"), 401)
    assert sign_in("ann@example.com", NEW_PASSWORD).status_code == 200
    stale = {"uid": link["uid"], "token": link["token"], "new_password": "another-pass-77"}
    error_of(api().post("/api/v1/auth/password-reset/confirm/", stale), 400, "invalid_link")


def test_a_new_email_address_is_used_once_a_link_sent_to_it_was_opened(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = make_customer("ann@example.com")
    make_customer("bob@example.com")
    client = signed_in(user)
    change = "/api/v1/me/email/"
    error_of(client.patch("/api/v1/me/", {"email": "ann.lee@example.com"}), 400, "email_change_needs_confirmation")
    error_of(client.post(change, {"email": "ann.lee@example.com", "current_password": "wrong"}), 400, "wrong_password")
    error_of(client.post(change, {"email": "BOB@example.com", "current_password": PASSWORD}), 400, "email_taken")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(change, {"email": "Ann.Lee@example.com", "current_password": PASSWORD})
    assert (started.status_code, started.json()) == (202, {"email": "ann.lee@example.com"})
    [message] = mail.outbox
    assert message.to == ["ann.lee@example.com"] and message.subject == "Confirm your new e-mail address"
    assert client.get("/api/v1/me/").json()["email"] == "ann@example.com"  # not before the link is opened

    token = link_of(message)["token"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api().post("/api/v1/auth/email/confirm/", {"token": token}).status_code == 204
    me = client.get("/api/v1/me/").json()
    assert (me["email"], me["email_verified"]) == ("ann.lee@example.com", True)
    notice = mail.outbox[-1]
    assert (notice.to, notice.subject) == (["ann@example.com"], "Your Commerce e-mail address was changed")
    error_of(api().post("/api/v1/auth/email/confirm/", {"token": token}), 400, "invalid_link")  # used
    assert sign_in("ann.lee@example.com", PASSWORD).status_code == 200
