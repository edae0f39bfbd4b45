"""Shapes of the accounts API. Input serializers refuse undeclared fields (`is_staff`, `user`...)."""

from typing import Any

from rest_framework import serializers

from accounts.models import Address, DataExport, User
from core.api.serializers import StrictFieldsMixin


class UserSerializer(serializers.ModelSerializer[User]):
    email_verified = serializers.SerializerMethodField(help_text="Whether a link sent to `email` was opened.")

    class Meta:
        model = User
        fields = ("id", "email", "email_verified", "first_name", "last_name", "phone", "date_joined", "version")
        read_only_fields = fields

    def get_email_verified(self, user: User) -> bool:
        return user.email_verified_at is not None


class RegisterSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    device_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Shown in the list of signed-in devices, e.g. `Pixel 8`.",
    )


class LoginSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Shown once.")
    expires_at = serializers.DateTimeField(help_text="Moves forward while the token is used.")
    user = UserSerializer()


class LogoutSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    everywhere = serializers.BooleanField(
        required=False, default=False, help_text="Sign out every device, not only this one."
    )


class ProfileUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Only the current one: a new address is set through `me/email/` (confirmed by a link).",
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="The `version` you read; a stale one is refused with 409.",
    )


class PasswordChangeSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AddressSerializer(serializers.ModelSerializer[Address]):
    class Meta:
        model = Address
        fields = (
            "id",
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
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class AddressWriteSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    """Creating needs the address lines; changing (PATCH) takes any subset plus `version`."""

    label = serializers.CharField(  # type: ignore[assignment]  # DRF moves declared fields off the class
        max_length=50, required=False, allow_blank=True
    )
    recipient_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=16)
    country = serializers.CharField(max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2, e.g. `DE`.")
    delivery_instructions = serializers.CharField(max_length=500, required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False)
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="On PATCH: the `version` you read; a stale one gets 409.",
    )


class TokenInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    token = serializers.CharField(max_length=1000, help_text="The `token` of the link in the e-mail.")


class PasswordResetRequestSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    uid = serializers.CharField(max_length=64, help_text="The `uid` of the link in the e-mail.")
    token = serializers.CharField(max_length=100, help_text="The `token` of the link in the e-mail.")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class EmailChangeSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254, help_text="The new address; a link sent to it confirms it.")
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)


class EmailChangeStartedSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(
        help_text="Where the confirmation link went; the account keeps its address until then."
    )


class AccountErasureSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    password = serializers.CharField(max_length=128, trim_whitespace=False, help_text="Your current password.")


class DataExportSerializer(serializers.ModelSerializer[DataExport]):
    class Meta:
        model = DataExport
        fields = ("id", "status", "requested_at", "completed_at", "expires_at", "size_bytes")
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "`pending` while it is built; `ready`: the download link went to your e-mail."},
            "expires_at": {"help_text": "Until then the link works; then the archive is deleted."},
        }


class DownloadQuerySerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=1000, help_text="The `token` of the link in the e-mail.")
