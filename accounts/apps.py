from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def top_up_roles(sender: AppConfig, **kwargs: Any) -> None:
    """After each app's migrations, give the role groups the permissions of its new models."""
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ROLES, sync_roles

    covered = {pattern.partition(".")[0] for patterns in ROLES.values() for pattern in patterns}
    if sender.label not in covered or kwargs.get("using", "default") != "default":
        return
    sync_roles(Group, Permission)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import privacy, tasks  # noqa: F401  (registers the tasks the services queue by name)
        from accounts.services.privacy import addresses_part, profile_part

        post_migrate.connect(top_up_roles, dispatch_uid="accounts.top_up_roles")
        privacy.register_export_part("profile", profile_part)
        privacy.register_export_part("addresses", addresses_part)
