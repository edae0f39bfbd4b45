"""The customer's rights over their data: an export of everything the shop keeps about them, and
erasure of the account.

An export is built by a Celery task (`accounts.build_data_export`) into a zip of JSON files, one
per part of accounts.privacy.EXPORT_PARTS (each app collects its own part: orders, payments, the
messages from notifications), and announced by e-mail (notifications sends it) with a signed link
that works until the archive expires.

Erasure keeps the user row, since orders and payments (kept as the law requires) point at it, but
strips it of everything personal: the address becomes `erased-<id>@erased.invalid`, names and
phone go, the password is unusable, and the account is inactive. Addresses, tokens and exports are
deleted. `user.deleted` tells every other app to forget its copies (orders anonymises the
shipping addresses of the orders, notifications erases the messages once the goodbye is sent).
docs/decisions/0057 and 0058.
"""

import io
import json
import logging
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import privacy
from accounts.errors import ErasureBlocked, InvalidLink, StaffAccountNotErasable
from accounts.models import AccessToken, Address, DataExport, ExportStatus, User
from accounts.services import _locked_user, links
from accounts.services.messages import request_account_message
from accounts.signals import user_deleted
from core.errors import InvalidInput, NotFound
from core.queue import enqueue_on_commit
from proto.events.v1.users_pb2 import UserDeleted

logger = logging.getLogger(__name__)

EXPORT_LINK = "data_export"
ARCHIVE_FORMAT = 1
ERASED_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): no mail can go there
CUSTOMER_REQUEST = "customer_request"
ADDRESS_PART_FIELDS = (
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
    "created_at",
    "updated_at",
)
SUPPORT_REQUEST = "support_request"


# --- export --------------------------------------------------------------------------------------


def _current_export(user_id: int) -> DataExport | None:
    """The export still being built, or still downloadable."""
    exports: QuerySet[DataExport] = DataExport.objects.filter(user_id=user_id)
    pending = exports.filter(status=ExportStatus.PENDING).first()
    return pending or exports.filter(status=ExportStatus.READY, expires_at__gt=timezone.now()).first()


def request_export(user_id: int, *, requested_by_id: int | None = None, fresh: bool = False) -> DataExport:
    """Start building the user's archive, or return the one being built or still downloadable
    (one archive at a time; `fresh`, for support, starts another unless one is being built)."""
    with transaction.atomic():
        user = _locked_user(user_id, None)
        if user.erased_at is not None:
            raise NotFound()
        current = _current_export(user.pk)
        if current is not None and (not fresh or current.status == ExportStatus.PENDING):
            return current
        export = DataExport.objects.create(user=user, requested_by_id=requested_by_id)
        enqueue_on_commit("accounts.build_data_export", export.pk)
        return export


def profile_part(user_id: int) -> dict[str, object]:
    user = User.objects.get(pk=user_id)
    return {
        "id": user.pk,
        "email": user.email,
        "email_verified_at": user.email_verified_at,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def addresses_part(user_id: int) -> list[dict[str, object]]:
    return list(Address.objects.filter(user_id=user_id).order_by("id").values(*ADDRESS_PART_FIELDS))


def build_archive(user_id: int) -> bytes:
    """The zip: manifest.json, then one <part>.json per export part."""
    parts = privacy.collect_export(user_id)
    manifest = {
        "format": ARCHIVE_FORMAT,
        "user_id": user_id,
        "generated_at": timezone.now(),
        "parts": {part: f"{part}.json" for part in parts},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))
        for part, data in parts.items():
            archive.writestr(f"{part}.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def build_export(export_id: int) -> str:
    """The task's work: build the archive, store it, mail the link. A retried task finds the
    export done and does nothing."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return "skipped"
    try:
        content = build_archive(export.user_id)
    except Exception as exc:  # a collector's bug: recorded (the admin shows it); the customer may ask again
        logger.exception("data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED, failure=f"{type(exc).__name__}: {exc}"[:300], completed_at=timezone.now()
        )
        return ExportStatus.FAILED
    now = timezone.now()
    with transaction.atomic():
        locked = DataExport.objects.select_for_update().filter(pk=export.pk, status=ExportStatus.PENDING).first()
        if locked is None:  # erased meanwhile, or built by a concurrent run
            return "skipped"
        locked.archive.save(f"export-{locked.pk}-{now:%Y%m%d%H%M%S}.zip", ContentFile(content), save=False)
        locked.status, locked.completed_at, locked.size_bytes = ExportStatus.READY, now, len(content)
        locked.expires_at = now + timedelta(hours=settings.ACCOUNTS_EXPORT_LINK_HOURS)
        locked.save(update_fields=["archive", "status", "completed_at", "size_bytes", "expires_at"])
        _announce_export(locked)  # recorded with the export, sent once it commits
    return ExportStatus.READY


def download_token(export: DataExport) -> str:
    return links.sign(EXPORT_LINK, {"x": export.pk, "u": export.user_id})


def _announce_export(export: DataExport) -> None:
    request_account_message(
        "data_export_ready",
        user_id=export.user_id,
        key=str(export.pk),  # one message per export, however often its task runs
        context={
            "link": links.link("/api/v1/me/export/download/", token=download_token(export)),
            "expires_at": export.expires_at,
        },
    )


def export_for_download(token: str) -> DataExport:
    """The ready, unexpired export the link names, or InvalidLink."""
    payload = links.unsign(EXPORT_LINK, token, max_age_seconds=settings.ACCOUNTS_EXPORT_LINK_HOURS * 3600)
    export_id, user_id = payload.get("x"), payload.get("u")
    if not isinstance(export_id, int) or not isinstance(user_id, int):
        raise InvalidLink()
    export = DataExport.objects.filter(
        pk=export_id, user_id=user_id, status=ExportStatus.READY, expires_at__gt=timezone.now()
    ).first()
    if export is None or not export.archive:
        raise InvalidLink()
    return export


def _delete_files_on_commit(exports: list[DataExport]) -> None:
    names = [export.archive.name for export in exports if export.archive and export.archive.name]
    if not names:
        return
    storage = exports[0].archive.storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def purge_expired_exports() -> int:
    """Delete the archives whose link expired (beat, hourly); their rows stay as `expired`."""
    with transaction.atomic():
        expired = list(
            DataExport.objects.select_for_update().filter(status=ExportStatus.READY, expires_at__lte=timezone.now())
        )
        _delete_files_on_commit(expired)
        DataExport.objects.filter(pk__in=[e.pk for e in expired]).update(status=ExportStatus.EXPIRED, archive="")
    return len(expired)


# --- erasure -------------------------------------------------------------------------------------


def erase_account(user_id: int, *, password: str | None = None, by_staff_id: int | None = None) -> None:
    """Erase the account: the customer confirms with their password, support acts on a request
    (`by_staff_id`). Refused for staff accounts and while another app still needs the person (an
    order on its way)."""
    with transaction.atomic():
        user = _locked_user(user_id, None)
        if user.erased_at is not None:
            raise NotFound()
        if user.is_staff:
            raise StaffAccountNotErasable()
        if by_staff_id is None and not (password and user.check_password(password)):
            raise InvalidInput(fields={"password": ["This is not your password."]}, code="wrong_password")
        blockers = privacy.erasure_blockers(user.pk)
        if blockers:
            raise ErasureBlocked(" ".join(blockers))
        # The goodbye goes to the address being erased, greeting them by the name being erased: it is
        # recorded now and sent after the commit; notifications erases it once sent (user.deleted).
        request_account_message("account_deleted", user_id=user.pk, key=str(user.pk), email=user.email, context={})
        now = timezone.now()
        Address.objects.filter(user=user).delete()
        AccessToken.objects.filter(user=user).delete()
        exports = list(DataExport.objects.filter(user=user))
        _delete_files_on_commit(exports)
        DataExport.objects.filter(user=user).delete()
        user.groups.clear()
        user.user_permissions.clear()
        user.email = f"erased-{user.pk}@{ERASED_DOMAIN}"
        user.first_name = user.last_name = user.phone = ""
        user.set_unusable_password()
        user.is_active = False
        user.last_login = user.email_verified_at = None
        user.erased_at = now
        user.version += 1
        user.save()
        payload = UserDeleted(user_id=str(user.pk), reason=SUPPORT_REQUEST if by_staff_id else CUSTOMER_REQUEST)
        payload.deleted_at.FromDatetime(now)
        user_deleted.send_event(sender=User, aggregate_id=str(user.pk), payload=payload)
