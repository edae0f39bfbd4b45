"""Messages from templates, in the recipient's language.

Templates are looked up through Django's template loaders, so a shop overrides any of them by
putting a file of the same name in a directory of TEMPLATES' DIRS (docs/decisions/0055):

    notifications/email/<language>/<kind>.subject.txt   one line
    notifications/email/<language>/<kind>.txt          the plain-text part
    notifications/email/<language>/<kind>.html         the HTML part (extends .../base.html)
    notifications/sms/<language>/<kind>.txt            the text message, for SMS kinds

A language without the template falls back to the shop's default language. Text parts are
rendered without HTML escaping; rendering happens with the language active, so dates and numbers
come out in its formats.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import select_template
from django.utils import translation
from django.utils.formats import number_format


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def supported_language(language: str) -> str:
    """The language of the shop's LANGUAGES closest to `language` ("de-AT" -> "de"), else the default."""
    codes = {code for code, _ in settings.LANGUAGES}
    primary = (language or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in codes else settings.NOTIFICATIONS_DEFAULT_LANGUAGE


def _names(channel: str, kind: str, language: str, suffix: str) -> list[str]:
    languages = dict.fromkeys([language, settings.NOTIFICATIONS_DEFAULT_LANGUAGE])
    return [f"notifications/{channel}/{lang}/{kind}{suffix}" for lang in languages]


def _render(names: list[str], context: dict[str, Any], *, html: bool) -> str:
    template = select_template(names)
    if html:
        return template.render(context)
    # The backend template wraps the engine's, which takes a Context of our own: no escaping.
    return str(template.template.render(Context(context, autoescape=False)))


def render_email(kind: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    with translation.override(language):
        subject = _render(_names("email", kind, language, ".subject.txt"), context, html=False)
        return RenderedEmail(
            subject=" ".join(subject.split()),  # one line, whatever the template's layout
            text=_render(_names("email", kind, language, ".txt"), context, html=False).strip() + "\n",
            html=_render(_names("email", kind, language, ".html"), context, html=True),
        )


def render_sms(kind: str, language: str, context: dict[str, Any]) -> str:
    with translation.override(language):
        return " ".join(_render(_names("sms", kind, language, ".txt"), context, html=False).split())


def money_text(amount: Decimal | str, currency: str, language: str) -> str:
    """ "16.92 EUR" in English, "16,92 EUR" in German."""
    with translation.override(language):
        return f"{number_format(Decimal(amount), 2, use_l10n=True)} {currency}"


def quantity_text(value: Decimal | str, unit: str, language: str) -> str:
    """ "2" for pieces, "1.874 kg" (German "1,874 kg") for what is weighed."""
    number = Decimal(value).normalize()
    with translation.override(language):
        text = number_format(number, max(0, -number.as_tuple().exponent), use_l10n=True)  # type: ignore[operator]
    return text if unit == "piece" else f"{text} {unit}"
