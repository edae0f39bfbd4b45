"""Sending through a real SMTP server on loopback (aiosmtpd): a server that does not take the mail
is tried again and then reported; the one that takes it gets one multi-part mail; an SMS goes
through the logging channel; a message a crash left "sending" is reported, never sent twice."""

import email
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.models import User
from notifications import services
from notifications.kinds import Kind
from notifications.models import Channel, Message, MessageStatus
from notifications.selectors import recipient_of
from notifications.tasks import send_message
from tests.notifications.helpers import run_send
from tests.support import free_port

pytestmark = pytest.mark.django_db


class FlakyServer:
    """Answers DATA with "451 try again later" `failures` times, then takes the mail."""

    def __init__(self) -> None:
        self.failures = 0
        self.attempts = 0
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[FlakyServer, int]]:
    handler = FlakyServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[FlakyServer, int], settings: Any) -> FlakyServer:
    handler, port = smtp_server
    handler.failures, handler.attempts, handler.received = 0, 0, []
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    return handler


def reset_message() -> Message:
    user = User.objects.create_user("ann@example.com", None, first_name="Ann")
    [message] = services.send_account_message(
        user.pk, "password_reset", {"link": "https://shop.example/reset/t0k3n"}, key="reset-1"
    )
    return message


def test_a_server_that_keeps_refusing_is_tried_again_then_the_message_fails_and_is_reported(
    smtp: FlakyServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.failures = 99
    message = reset_message()
    with caplog.at_level(logging.ERROR, logger="notifications.services"):
        # As the embedded run sends it (eager, errors propagating): the attempts follow at once.
        assert send_message.apply(args=[message.pk]).get() == MessageStatus.FAILED

    message.refresh_from_db()
    assert (message.status, message.attempts, smtp.attempts) == (MessageStatus.FAILED, 3, 3)
    assert "451" in message.last_error and smtp.received == []
    [report] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"message {message.pk} (password_reset to ann@example.com) failed after 3 attempt(s)" in report.getMessage()
    run_send(message.pk)  # a late duplicate of the task changes nothing
    assert smtp.attempts == 3


def test_a_server_that_refuses_twice_gets_one_multipart_mail_on_the_third_attempt(smtp: FlakyServer) -> None:
    smtp.failures = 2
    message = reset_message()
    run_send(message.pk)  # as a worker runs it: Celery's retries (here at once rather than after the backoff)
    run_send(message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    [raw] = smtp.received
    mail = email.message_from_bytes(raw)
    assert mail["To"] == "ann@example.com" and mail["Subject"] == "Reset your password"
    assert mail["Message-ID"] == services.message_id_header(message)
    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in mail.get_payload()}
    assert "https://shop.example/reset/t0k3n" in parts["text/plain"]
    assert 'href="https://shop.example/reset/t0k3n"' in parts["text/html"]


def test_a_crash_after_the_hand_over_is_reported_as_unconfirmed_and_not_sent_again(smtp: FlakyServer) -> None:
    message = reset_message()
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, attempts=1, updated_at=timezone.now() - timedelta(hours=1)
    )
    assert services.sweep_stale_messages() == (0, 1)
    run_send(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCONFIRMED and smtp.attempts == 0


def test_the_on_its_way_message_also_goes_by_sms_to_who_asked(caplog: pytest.LogCaptureFixture) -> None:
    user = User.objects.create_user("ben@example.com", None, phone="+4915112345678")
    services.set_preference(user.pk, language="de", sms=True)
    start, end = timezone.now(), timezone.now() + timedelta(hours=1)
    context = {"order_number": "0000042", "window_start": start, "window_end": end}
    services.notify("evt-1", Kind.ORDER_OUT_FOR_DELIVERY, recipient_of(user), context, order_ref="42")
    [sms] = Message.objects.filter(channel=Channel.SMS)
    with caplog.at_level(logging.INFO, logger="notifications.sms"):
        run_send(sms.pk)

    sms.refresh_from_db()
    assert (sms.status, sms.recipient) == (MessageStatus.SENT, "+4915112345678")
    [logged] = [r.getMessage() for r in caplog.records if r.name == "notifications.sms"]
    assert "sms to +4915112345678" in logged and "Ihre Bestellung 0000042 ist unterwegs" in logged
    assert Message.objects.filter(channel=Channel.EMAIL, recipient="ben@example.com").count() == 1
