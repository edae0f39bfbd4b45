from importlib import import_module

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Registers the tasks the services queue by name (core.queue), so they also run eagerly.
        import_module("notifications.tasks")
        from accounts.signals import account_message_requested
        from notifications import privacy
        from notifications.receivers import send_requested_account_message

        account_message_requested.connect(
            send_requested_account_message, dispatch_uid="notifications.send_requested_account_message"
        )
        privacy.register()  # the messages part of the customer's data export
