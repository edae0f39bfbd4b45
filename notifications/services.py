"""Writes of notifications: a message recorded once per (event, kind, recipient) and queued; its
sending at most once, retried with backoff while the server does not take it, then failed and
reported; the sweep of messages a crash left behind; the customer's preferences.

At most once (docs/decisions/0056): the row moves to "sending" and commits before the hand-over,
and only a "pending" row is handed over. A crash between the hand-over and the "sent" record
leaves it "sending": the sweep reports it as unconfirmed instead of sending it twice.
"""

import logging
import smtplib
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from prometheus_client import Counter

from core.errors import InvalidInput
from core.queue import enqueue_on_commit
from notifications import selectors
from notifications.errors import MessageNotResendable, UnknownMessageKind
from notifications.kinds import ACCOUNT_KINDS, SENSITIVE_KINDS, SMS_KINDS, Kind
from notifications.models import Channel, ContactPreference, Message, MessageStatus
from notifications.rendering import render_email, render_sms, supported_language
from notifications.selectors import Recipient
from notifications.sms import SmsRefused, sms_channel

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.send_message"
MESSAGES = Counter(
    "commerce_notifications_messages_total",
    "Messages by channel and outcome (sent, failed, unconfirmed).",
    ["channel", "outcome"],
)
M = MessageStatus


class TemporarySendFailure(Exception):
    """The server did not take the message this time; the task tries again in `retry_in` seconds."""

    def __init__(self, error: str, retry_in: float) -> None:
        super().__init__(error)
        self.retry_in = retry_in


# --- Recording ---------------------------------------------------------------------------------


def _record(
    *, event_id: str, kind: str, channel: str, to: str, recipient: Recipient, order_ref: str, **content: Any
) -> Message | None:
    """The message, created and queued after the commit; None when (event, kind, recipient) has one."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                event_id=event_id,
                kind=kind,
                channel=channel,
                recipient=to,
                user_id=recipient.user_id,
                order_ref=order_ref,
                language=recipient.language,
                sensitive=kind in SENSITIVE_KINDS,
                **content,
            )
    except IntegrityError:
        return None  # this event already has its message: the unique record is the guard
    enqueue_on_commit(SEND_TASK, message.pk)
    return message


def notify(
    event_id: str, kind: Kind, recipient: Recipient, context: dict[str, Any], *, order_ref: str = ""
) -> list[Message]:
    """Render the kind's message for the recipient and record it (e-mail, and SMS for the kinds
    that have one when they asked for it), each once per event."""
    language = supported_language(recipient.language)
    recipient = replace(recipient, language=language)
    context = {"shop_name": settings.NOTIFICATIONS_SHOP_NAME, "name": recipient.name, **context}
    recorded: list[Message] = []
    if recipient.email:
        email = render_email(kind, language, context)
        message = _record(
            event_id=event_id, kind=kind, channel=Channel.EMAIL, to=recipient.email, recipient=recipient,
            order_ref=order_ref, subject=email.subject[:300], body_text=email.text, body_html=email.html,
        )  # fmt: skip
        recorded += [message] if message else []
    if kind in SMS_KINDS and recipient.sms and recipient.phone:
        text = render_sms(kind, language, context)
        message = _record(
            event_id=event_id, kind=kind, channel=Channel.SMS, to=recipient.phone, recipient=recipient,
            order_ref=order_ref, body_text=text,
        )  # fmt: skip
        recorded += [message] if message else []
    return recorded


def send_account_message(
    user_id: int, kind: str, context: dict[str, str], *, key: str, email: str = "", language: str = ""
) -> list[Message]:
    """An account message (accounts asks through accounts.signals.account_message_requested):
    rendered from the kind's templates in the person's language and sent once per `key`.

    `email` writes to that address instead of the account's (a new address to verify, an erased
    account's); `language` (e.g. the sign-up request's) is used, and kept as the person's
    preference, when they have none yet."""
    if kind not in ACCOUNT_KINDS:
        raise UnknownMessageKind(f"{kind!r} is not an account message; one of {', '.join(sorted(ACCOUNT_KINDS))}.")
    missing = sorted(ACCOUNT_KINDS[Kind(kind)] - context.keys())
    if missing:
        raise InvalidInput(f"A {kind} message needs {', '.join(missing)}.", code="message_context_incomplete")
    if not key:
        raise InvalidInput("An account message needs a key (one message per key).", code="message_key_missing")
    recipient = selectors.recipient_by_id(user_id, email=email, language=supported_language(language))
    if recipient is None:
        if not email:
            raise InvalidInput(f"There is no user {user_id} to write to.", code="message_recipient_missing")
        recipient = Recipient(None, email, "", "", supported_language(language), False)
    elif language and not ContactPreference.objects.filter(user_id=user_id).exists():
        set_preference(user_id, language=supported_language(language))
    values: dict[str, Any] = dict(context)
    if values.get("expires_at"):
        values["expires_at"] = parse_datetime(values["expires_at"]) or values["expires_at"]
    return notify(f"account:{key}", Kind(kind), recipient, values)


def set_preference(user_id: int, *, language: str, sms: bool | None = None) -> ContactPreference:
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(f"Messages are written in {', '.join(dict(settings.LANGUAGES))}.", code="invalid_language")
    defaults: dict[str, Any] = {"language": language, "updated_at": timezone.now()}
    if sms is not None:
        defaults["sms"] = sms
    preference, _ = ContactPreference.objects.update_or_create(user_id=user_id, defaults=defaults)
    return preference


# --- Sending -----------------------------------------------------------------------------------


def _is_permanent(exc: Exception) -> bool:
    """A refusal that trying again cannot cure (5xx answers, a number the SMS provider refuses)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, SmsRefused)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{type(exc).__name__}: {exc.smtp_code} {detail}"
    return f"{type(exc).__name__}: {exc}"


def message_id_header(message: Message) -> str:
    """The same Message-ID on every attempt: a copy sent again by hand is recognisably the same mail."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<notification.{message.pk}.{message.kind}@{domain}>"


def _send_email(message: Message) -> None:
    email = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message_id_header(message)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        sent = connection.send_messages([email])
    finally:
        try:
            connection.close()
        except Exception as exc:  # the server took the message already; a failed QUIT changes nothing
            logger.warning("notifications: closing the mail connection failed: %s", exc)
    if not sent:
        raise RuntimeError("the e-mail backend sent nothing")


def _hand_over(message: Message) -> None:
    if message.channel == Channel.SMS:
        sms_channel().send(message.recipient, message.body_text)
    else:
        _send_email(message)


def _move(message: Message, status: str, **fields: Any) -> None:
    """From "sending" to `status`; a row someone else moved meanwhile stays as they left it."""
    Message.objects.filter(pk=message.pk, status=M.SENDING).update(status=status, updated_at=timezone.now(), **fields)


def deliver_message(message_id: int) -> str:
    """Hand a pending message to its channel once; returns its status afterwards.

    Raises TemporarySendFailure when the server did not take it and attempts remain."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return "missing"
        if message.status != M.PENDING:
            return message.status  # sent, given up on, or being sent: never handed over twice
        message.status, message.attempts, message.updated_at = M.SENDING, message.attempts + 1, timezone.now()
        message.save(update_fields=["status", "attempts", "updated_at"])
    try:
        _hand_over(message)
    except Exception as exc:
        error = _describe(exc)
        if _is_permanent(exc) or message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            return _give_up(message, error)
        _move(message, M.PENDING, last_error=error[:4000])
        retry_in = settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS * 2 ** (message.attempts - 1)
        logger.info("notifications: message %s not taken (attempt %d): %s", message.pk, message.attempts, error)
        raise TemporarySendFailure(error, retry_in) from exc
    _move(message, M.SENT, sent_at=timezone.now(), last_error="")
    _erase_if_forgotten(message)
    MESSAGES.labels(message.channel, "sent").inc()
    return M.SENT


def _give_up(message: Message, error: str) -> str:
    _move(message, M.FAILED, last_error=error[:4000])
    _erase_if_forgotten(message)
    MESSAGES.labels(message.channel, "failed").inc()
    logger.error(
        "notifications: message %s (%s to %s) failed after %d attempt(s): %s",
        message.pk, message.kind, message.recipient, message.attempts, error,
    )  # fmt: skip
    return M.FAILED


def sweep_stale_messages(now: datetime | None = None) -> tuple[int, int]:
    """Queue again the pending messages whose task was lost; report the ones a crash left
    "sending" as unconfirmed (never sent again by themselves). Returns (queued, unconfirmed)."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.NOTIFICATIONS_STALE_MINUTES)
    stuck = list(Message.objects.filter(status=M.SENDING, updated_at__lt=cutoff).values_list("pk", flat=True))
    if stuck:
        Message.objects.filter(pk__in=stuck, status=M.SENDING).update(
            status=M.UNCONFIRMED,
            updated_at=timezone.now(),
            last_error="The sender stopped after handing it over: it may or may not have been sent.",
        )
        _erase(Message.objects.filter(pk__in=stuck, erase_when_settled=True))
        MESSAGES.labels("any", "unconfirmed").inc(len(stuck))
        logger.error("notifications: %d message(s) unconfirmed (perhaps sent): %s", len(stuck), stuck)
    lost = list(Message.objects.filter(status=M.PENDING, updated_at__lt=cutoff).values_list("pk", flat=True))
    for message_id in lost:
        enqueue_on_commit(SEND_TASK, message_id)
    return len(lost), len(stuck)


def send_again(message_id: int) -> Message:
    """Support sends a failed or unconfirmed message again (the same Message-ID). Never a message
    with a sign-in link: the customer asks for a new one instead."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        erased = message.user_id is None and message.recipient.startswith("erased-")
        if message.status not in (M.FAILED, M.UNCONFIRMED) or message.sensitive or erased:
            raise MessageNotResendable()
        message.status, message.updated_at = M.PENDING, timezone.now()
        message.save(update_fields=["status", "updated_at"])
        enqueue_on_commit(SEND_TASK, message.pk)
    return message


UNSETTLED = (M.PENDING, M.SENDING)


def _erase(messages: QuerySet[Message]) -> int:
    return messages.update(
        recipient=Concat(Value("erased-"), Cast("id", output_field=CharField())),
        subject="",
        body_text="",
        body_html="",
        user=None,
        erase_when_settled=False,
        updated_at=timezone.now(),
    )


def forget_person(user_id: int) -> int:
    """Erase what the messages say about a deleted person (user.deleted): address, content, link
    to the account; the rows stay (counts, order references) without personal data. A message
    still to be sent (the "account deleted" confirmation) goes out first and is erased once settled."""
    mine = Message.objects.filter(user_id=user_id)
    mine.filter(status__in=UNSETTLED).update(erase_when_settled=True)
    erased = _erase(mine.exclude(status__in=UNSETTLED))
    ContactPreference.objects.filter(user_id=user_id).delete()
    return erased


def _erase_if_forgotten(message: Message) -> None:
    _erase(Message.objects.filter(pk=message.pk, erase_when_settled=True).exclude(status__in=UNSETTLED))
