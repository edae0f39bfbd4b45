"""The SMS channel: one small interface, a logging implementation, room for a provider.

A provider is a class with `send(to, text) -> str` (the provider's id for the message) that raises
SmsTemporaryFailure when trying again later may help and SmsRefused when it cannot; name it in
NOTIFICATIONS_SMS_CHANNEL (a dotted path). It is built once per process with no arguments and
reads its own credentials from the settings or the environment.
"""

import logging
import uuid
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsTemporaryFailure(Exception):
    """The provider did not take the message now (unreachable, rate limited): try again later."""


class SmsRefused(Exception):
    """The provider will never take it (an invalid number, a blocked recipient)."""


class SmsChannel(Protocol):
    def send(self, to: str, text: str) -> str: ...


class LoggingSmsChannel:
    """Writes the text message to the log instead of sending it (development, tests, a shop
    without an SMS provider yet)."""

    def send(self, to: str, text: str) -> str:
        reference = f"log-{uuid.uuid4().hex[:12]}"
        logger.info("sms to %s (%s): %s", to, reference, text)
        return reference


@cache
def _channel(path: str) -> SmsChannel:
    channel: SmsChannel = import_string(path)()
    return channel


def sms_channel() -> SmsChannel:
    return _channel(settings.NOTIFICATIONS_SMS_CHANNEL)
