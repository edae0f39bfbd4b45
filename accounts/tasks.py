"""Celery tasks of accounts (thin: ids in, state re-read by the services). The services queue
them by name (core.queue); the names are what queued messages and beat refer to."""

from celery import shared_task

from accounts.services import passwords, privacy, verification


@shared_task(name="accounts.send_verification_email")
def send_verification_email(user_id: int) -> bool:
    return verification.send_verification_email(user_id)


@shared_task(name="accounts.send_email_change_link")
def send_email_change_link(user_id: int, new_email: str) -> bool:
    return verification.send_email_change_link(user_id, new_email)


@shared_task(name="accounts.send_email_changed_notice")
def send_email_changed_notice(user_id: int, old_email: str) -> None:
    verification.send_email_changed_notice(user_id, old_email)


@shared_task(name="accounts.send_password_reset")
def send_password_reset(email: str) -> bool:
    return passwords.send_password_reset(email)


@shared_task(name="accounts.send_password_changed_notice")
def send_password_changed_notice(user_id: int) -> None:
    passwords.send_password_changed_notice(user_id)


@shared_task(name="accounts.build_data_export")
def build_data_export(export_id: int) -> str:
    return privacy.build_export(export_id)


@shared_task(name="accounts.send_account_erased_notice")
def send_account_erased_notice(email: str) -> None:
    privacy.send_account_erased_notice(email)


@shared_task(name="accounts.purge_expired_exports")
def purge_expired_exports() -> int:
    return privacy.purge_expired_exports()
