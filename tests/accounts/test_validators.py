"""Postal codes, countries and phone numbers as people type them, normalised or refused."""

import pytest

from accounts import validators


@pytest.mark.parametrize(
    "country, typed, stored",
    [
        ("DE", " 10115 ", "10115"),
        ("NL", "1015cj", "1015 CJ"),
        ("NL", "1015-CJ", "1015 CJ"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("GB", "M1 1AE", "M1 1AE"),
        ("PL", "00950", "00-950"),
        ("PT", "1000001", "1000-001"),
        ("SE", "11122", "111 22"),
        ("US", "94103", "94103"),
        ("US", "941031234", "94103-1234"),
        ("CA", "k1a0b1", "K1A 0B1"),
        ("IE", "d02x285", "D02 X285"),
        ("LT", "LT-01100", "LT-01100"),
        ("LT", "01100", "LT-01100"),
        ("LU", "l-1009", "L-1009"),
        ("JP", "1000001", "100-0001"),
    ],
)
def test_postal_codes_are_stored_as_the_country_writes_them(country: str, typed: str, stored: str) -> None:
    assert validators.normalize_postal_code(typed, country) == stored


@pytest.mark.parametrize(
    "country, typed",
    [
        ("DE", "1011"),
        ("DE", "101155"),
        ("NL", "0123AB"),
        ("GB", "SW1A"),
        ("ES", "53001"),
        ("US", "9410"),
        ("FR", "75OO1"),
        ("IE", "B02X285"),
        ("CA", "K1A0B"),
    ],
)
def test_codes_that_cannot_be_of_the_country_are_refused(country: str, typed: str) -> None:
    with pytest.raises(ValueError, match="not a postal code"):
        validators.normalize_postal_code(typed, country)


def test_countries_are_iso_codes_the_shop_delivers_to() -> None:
    assert validators.normalize_country(" de ") == "DE"
    for bad in ("Germany", "D", "XX", "12"):
        with pytest.raises(ValueError):
            validators.normalize_country(bad)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("+49 151 1234-5678", "+4915112345678"),
        ("0049 (30) 1234567", "+49301234567"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_phone_numbers_become_e164(typed: str, stored: str) -> None:
    assert validators.normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["030 1234567", "+0 123456789", "+49", "+49 151 abc", "+1234567890123456"])
def test_phone_numbers_without_a_country_code_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        validators.normalize_phone(typed)
