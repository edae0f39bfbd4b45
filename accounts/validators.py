"""Postal codes, countries and phone numbers: checked and normalised before they are stored.

Each supported country has the compact shape of its postal code (letters and digits only) and the
way it is written; "1234ab", "1234 AB" and "1234-ab" are all stored as "1234 AB", so delivery zones
can match codes exactly. A country not in the table is one the shop cannot deliver to.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PostalFormat:
    compact: re.Pattern[str]
    write: Callable[[str], str]
    example: str


def _plain(code: str) -> str:
    return code


def _split(at: int, sep: str = " ") -> Callable[[str], str]:
    return lambda code: f"{code[:at]}{sep}{code[at:]}"


def _fmt(pattern: str, write: Callable[[str], str], example: str) -> PostalFormat:
    return PostalFormat(re.compile(pattern), write, example)


POSTAL_FORMATS: dict[str, PostalFormat] = {
    "AT": _fmt(r"\d{4}", _plain, "1010"),
    "AU": _fmt(r"\d{4}", _plain, "2000"),
    "BE": _fmt(r"\d{4}", _plain, "1000"),
    "BG": _fmt(r"\d{4}", _plain, "1000"),
    "CA": _fmt(r"[A-Z]\d[A-Z]\d[A-Z]\d", _split(3), "K1A 0B1"),
    "CH": _fmt(r"\d{4}", _plain, "8001"),
    "CY": _fmt(r"\d{4}", _plain, "1010"),
    "CZ": _fmt(r"\d{5}", _split(3), "110 00"),
    "DE": _fmt(r"\d{5}", _plain, "10115"),
    "DK": _fmt(r"\d{4}", _plain, "1050"),
    "EE": _fmt(r"\d{5}", _plain, "10111"),
    "ES": _fmt(r"(0[1-9]|[1-4]\d|5[0-2])\d{3}", _plain, "28001"),
    "FI": _fmt(r"\d{5}", _plain, "00100"),
    "FR": _fmt(r"\d{5}", _plain, "75001"),
    "GB": _fmt(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", lambda c: f"{c[:-3]} {c[-3:]}", "SW1A 1AA"),
    "GR": _fmt(r"\d{5}", _split(3), "105 57"),
    "HR": _fmt(r"\d{5}", _plain, "10000"),
    "HU": _fmt(r"\d{4}", _plain, "1011"),
    "IE": _fmt(r"([AC-FHKNPRTV-Y]\d{2}|D6W)[0-9AC-FHKNPRTV-Y]{4}", _split(3), "D02 X285"),
    "IT": _fmt(r"\d{5}", _plain, "00118"),
    "JP": _fmt(r"\d{7}", _split(3, "-"), "100-0001"),
    "LT": _fmt(r"\d{5}", lambda c: f"LT-{c}", "LT-01100"),
    "LU": _fmt(r"\d{4}", lambda c: f"L-{c}", "L-1009"),
    "LV": _fmt(r"\d{4}", lambda c: f"LV-{c}", "LV-1050"),
    "MT": _fmt(r"[A-Z]{3}\d{4}", _split(3), "VLT 1117"),
    "NL": _fmt(r"[1-9]\d{3}[A-Z]{2}", _split(4), "1012 AB"),
    "NO": _fmt(r"\d{4}", _plain, "0150"),
    "NZ": _fmt(r"\d{4}", _plain, "6011"),
    "PL": _fmt(r"\d{5}", _split(2, "-"), "00-950"),
    "PT": _fmt(r"\d{7}", _split(4, "-"), "1000-001"),
    "RO": _fmt(r"\d{6}", _plain, "010011"),
    "SE": _fmt(r"\d{5}", _split(3), "111 22"),
    "SG": _fmt(r"\d{6}", _plain, "018956"),
    "SI": _fmt(r"\d{4}", _plain, "1000"),
    "SK": _fmt(r"\d{5}", _split(3), "811 01"),
    "US": _fmt(r"\d{5}(\d{4})?", lambda c: c if len(c) == 5 else f"{c[:5]}-{c[5:]}", "94103"),
}

# Letter prefixes some countries' codes are written with ("L-1009", "LT-01100").
_COUNTRY_PREFIXES = {"LT": "LT", "LU": "L", "LV": "LV"}

_PHONE = re.compile(r"\+[1-9]\d{6,14}")


def delivery_countries() -> list[str]:
    """Countries the shop delivers to: ADDRESS_COUNTRIES if set, else every supported one."""
    configured = [code.upper() for code in getattr(settings, "ADDRESS_COUNTRIES", [])]
    return [code for code in configured if code in POSTAL_FORMATS] if configured else sorted(POSTAL_FORMATS)


def normalize_country(value: str) -> str:
    """The ISO 3166-1 alpha-2 code in capitals; ValueError names what is wrong."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("Use the two-letter ISO 3166-1 country code, e.g. DE.")
    if code not in delivery_countries():
        raise ValueError(f"We do not deliver to {code}.")
    return code


def normalize_postal_code(value: str, country: str) -> str:
    """The postal code as the country writes it; ValueError if it cannot be one of `country`."""
    postal = POSTAL_FORMATS[country]
    compact = re.sub(r"[\s\-]", "", value.upper())
    prefix = _COUNTRY_PREFIXES.get(country)
    if prefix and compact.startswith(prefix) and postal.compact.fullmatch(compact[len(prefix) :]):
        compact = compact[len(prefix) :]
    if not postal.compact.fullmatch(compact):
        raise ValueError(f"This is not a postal code of {country} (for example {postal.example}).")
    return postal.write(compact)


def normalize_phone(value: str) -> str:
    """E.164 ("+4915112345678") from what people type ("+49 151 1234-5678"); "" stays ""."""
    if not value.strip():
        return ""
    compact = re.sub(r"[\s\-().]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _PHONE.fullmatch(compact):
        raise ValueError("Use the international format with the country code, e.g. +49 151 12345678.")
    return compact
