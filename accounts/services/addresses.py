"""A customer's addresses: at most ACCOUNTS_MAX_ADDRESSES each, exactly one default once there is
one, postal code and phone normalised for the country, versioned for optimistic updates."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import validators
from accounts.errors import TooManyAddresses
from accounts.models import Address, User
from core.errors import InvalidInput, NotFound, StaleVersion

ADDRESS_FIELDS = (
    "label",
    "recipient_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "delivery_instructions",
    "is_default",
)


def _clean_address(values: dict[str, Any], current: Address | None = None) -> dict[str, Any]:
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    errors: dict[str, list[str]] = {}
    country = cleaned.get("country", current.country if current else "")
    try:
        country = validators.normalize_country(country)
        if "country" in cleaned:
            cleaned["country"] = country
    except ValueError as exc:
        errors["country"] = [str(exc)]
    if not errors and ("postal_code" in cleaned or "country" in cleaned):
        postal_code = cleaned.get("postal_code", current.postal_code if current else "")
        try:
            cleaned["postal_code"] = validators.normalize_postal_code(postal_code, country)
        except ValueError as exc:
            errors["postal_code"] = [str(exc)]
    if "phone" in cleaned:
        try:
            cleaned["phone"] = validators.normalize_phone(cleaned["phone"])
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _clear_default(user_id: int, *, except_id: int | None = None) -> None:
    others = Address.objects.filter(user_id=user_id, is_default=True)
    if except_id is not None:
        others = others.exclude(pk=except_id)
    others.update(is_default=False)


def create_address(user_id: int, values: dict[str, Any]) -> Address:
    unknown = set(values) - set(ADDRESS_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: ["This field is not allowed."] for name in sorted(unknown)})
    cleaned = _clean_address(values)
    with transaction.atomic():
        # Locking the user serialises concurrent creations, so the cap and the default hold.
        User.objects.select_for_update().filter(pk=user_id).first()
        existing = Address.objects.filter(user_id=user_id).count()
        if existing >= settings.ACCOUNTS_MAX_ADDRESSES:
            raise TooManyAddresses(f"You can keep at most {settings.ACCOUNTS_MAX_ADDRESSES} addresses.")
        if existing == 0:
            cleaned["is_default"] = True  # the first address is where orders go unless said otherwise
        if cleaned.get("is_default"):
            _clear_default(user_id)
        return Address.objects.create(user_id=user_id, **cleaned)


def update_address(
    user_id: int, address_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> Address:
    unknown = set(changes) - set(ADDRESS_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: ["This field is not allowed."] for name in sorted(unknown)})
    with transaction.atomic():
        address = Address.objects.select_for_update().filter(pk=address_id, user_id=user_id).first()
        if address is None:
            raise NotFound()  # someone else's address does not exist, as far as this caller knows
        if expected_version is not None and address.version != expected_version:
            raise StaleVersion(current_version=address.version)
        cleaned = _clean_address(changes, current=address)
        changed = [name for name, value in cleaned.items() if getattr(address, name) != value]
        if not changed:
            return address
        if cleaned.get("is_default"):
            _clear_default(user_id, except_id=address.pk)
        for name in changed:
            setattr(address, name, cleaned[name])
        address.version += 1
        address.updated_at = timezone.now()
        address.save(update_fields=[*changed, "version", "updated_at"])
        return address


def delete_address(user_id: int, address_id: int) -> None:
    with transaction.atomic():
        deleted, _ = Address.objects.filter(pk=address_id, user_id=user_id).delete()
        if not deleted:
            raise NotFound()
