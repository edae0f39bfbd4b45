"""Serializer building blocks shared by the apps' APIs."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

NOT_ALLOWED = "This field is not allowed."
NOT_A_STRING = "Not a valid string."


def money_field(*, max_digits: int = 12, **kwargs: Any) -> serializers.DecimalField:
    """An amount as the API writes it (core.money): a string with exactly two decimals, next to its
    currency. `max_digits` follows the column it comes from."""
    return serializers.DecimalField(max_digits=max_digits, decimal_places=2, coerce_to_string=True, **kwargs)


def quantity_field(*, max_digits: int = 12, **kwargs: Any) -> serializers.DecimalField:
    """A quantity (core.quantities) as people write it: "0.1", "3", no padding to three places."""
    return serializers.DecimalField(
        max_digits=max_digits, decimal_places=3, coerce_to_string=True, normalize_output=True, **kwargs
    )


class StrictFieldsMixin:
    """Refuse fields the serializer does not declare, instead of silently dropping them.

    A client sending `is_staff`, `user` or a price where none is accepted gets a 400 naming the
    field, so a mistake (or a probe) never passes as a success. Declared read-only fields are still
    ignored, so clients may send back what they read. Text fields take strings only: DRF would turn
    a JSON number into text, where the schema (and the client's own types) say string.
    """

    fields: Any
    initial_data: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: [NOT_ALLOWED] for key in unknown})
            numbers = sorted(
                str(key)
                for key, value in data.items()
                if isinstance(value, int | float)
                and not isinstance(value, bool)
                and isinstance(self.fields[key], serializers.CharField)
            )
            if numbers:
                raise serializers.ValidationError({key: [NOT_A_STRING] for key in numbers})
        return super().to_internal_value(data)  # type: ignore[misc]


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error response (for the OpenAPI schema)."""

    code = serializers.CharField(help_text="Stable snake_case code to branch on, e.g. `stale_version`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(  # type: ignore[assignment]  # DRF moves declared fields off the class
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field (dotted paths for nested ones); empty when none applies.",
    )
