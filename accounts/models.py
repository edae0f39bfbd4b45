"""Users (one table for customers and staff, signing in with an email address), their delivery
addresses and the access tokens their apps hold."""

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the back office.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    phone = models.CharField(max_length=20, blank=True, help_text="International format, e.g. +4915112345678.")
    # Optimistic locking of profile edits (see accounts.services.update_profile).
    version = models.PositiveIntegerField(default=1)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer proved they receive mail at this address."
    )
    # Erased accounts stay as a row without personal data: orders and payments (kept for the law)
    # still point at it, but it names nobody (docs/decisions/0057).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            # Case-insensitive: "Ann@Shop.com" and "ann@shop.com" are one person.
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class CustomerManager(UserManager):
    use_in_migrations = False

    def get_queryset(self) -> "models.QuerySet[User]":
        return super().get_queryset().filter(is_staff=False)


class StaffManager(UserManager):
    use_in_migrations = False

    def get_queryset(self) -> "models.QuerySet[User]":
        return super().get_queryset().filter(is_staff=True)


class Customer(User):
    """Customers, as the back office sees them: the support role may edit these, never staff."""

    objects: ClassVar[CustomerManager] = CustomerManager()

    class Meta:
        proxy = True
        verbose_name = "customer"
        permissions = [
            ("export_customer_data", "Can send a customer their data export"),
            ("erase_customer", "Can erase a customer's account"),
        ]


class StaffMember(User):
    """Staff accounts (they can sign in to the back office); their roles are groups."""

    objects: ClassVar[StaffManager] = StaffManager()

    class Meta:
        proxy = True
        verbose_name = "staff member"


class Address(models.Model):
    """A delivery address of a customer. Postal code and country are checked by the service
    (accounts.postal) and stored normalised, so delivery zones can match them exactly."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True, help_text="e.g. Home, Office.")
    recipient_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=20, blank=True)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=12)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. DE.")
    delivery_instructions = models.CharField(max_length=500, blank=True)
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="address_one_default_per_user"
            ),
        ]
        indexes = [models.Index(fields=["user", "id"], name="address_user_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_name}, {self.line1}, {self.postal_code} {self.city}, {self.country}"


class AccessToken(models.Model):
    """A bearer token of one device. Only its SHA-256 is stored: a leaked table signs nobody in.

    Expires after a stretch without use and at the latest at a fixed age; revoked by signing out
    (or by a password change, for all other devices)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to tell it apart."
    )
    name = models.CharField(max_length=100, blank=True, help_text="The device or app that holds it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="access_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed device'})"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


def _export_files() -> FileSystemStorage:
    """Archives live under ACCOUNTS_EXPORTS_DIR, served only through the signed download link."""
    return FileSystemStorage(location=settings.ACCOUNTS_EXPORTS_DIR)


class ExportStatus(models.TextChoices):
    PENDING = "pending", "pending"
    READY = "ready", "ready"
    FAILED = "failed", "failed"
    EXPIRED = "expired", "expired"


class DataExport(models.Model):
    """A customer's request for their data: built by a Celery task into a zip of JSON files, and
    downloadable through a signed link until it expires (then the file is deleted)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who asked for it on the customer's behalf, if any.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    archive = models.FileField(storage=_export_files, upload_to="%Y/%m/", blank=True, max_length=300)
    size_bytes = models.PositiveBigIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "-requested_at"], name="data_export_user_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ExportStatus.values), name="users_data_export_status"),
        ]

    def __str__(self) -> str:
        return f"data export {self.pk} ({self.status})"
