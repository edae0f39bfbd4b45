"""Celery tasks of accounts (thin: ids in, state re-read by the services). The services queue
them by name (core.queue); the names are what queued messages and beat refer to. A task that asks
for an account message gets the request's key from whoever queued it, so a retry asks for the same
message (which notifications sends once)."""

from celery import shared_task

from accounts.services import passwords, privacy, verification


@shared_task(name="accounts.send_verification_email")
def send_verification_email(user_id: int, request_key: str, language: str = "") -> bool:
    return verification.send_verification_email(user_id, request_key, language)


@shared_task(name="accounts.send_email_change_link")
def send_email_change_link(user_id: int, new_email: str, request_key: str) -> bool:
    return verification.send_email_change_link(user_id, new_email, request_key)


@shared_task(name="accounts.send_password_reset")
def send_password_reset(email: str, request_key: str) -> bool:
    return passwords.send_password_reset(email, request_key)


@shared_task(name="accounts.build_data_export")
def build_data_export(export_id: int) -> str:
    return privacy.build_export(export_id)


@shared_task(name="accounts.purge_expired_exports")
def purge_expired_exports() -> int:
    return privacy.purge_expired_exports()
